namespace KeepAlive.Net.Tool.Analyze;

/// <summary>The cadence of a repeated event: the median gap between consecutive times, robust to one late or early occurrence.</summary>
internal static class Median
{
    public static double? Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The median gap between consecutive <paramref name="times"/>, or <see langword="null"/> for fewer than two.</summary>
    public static double? Gap(IReadOnlyList<double> times) => Of([.. times.Zip(times.Skip(1), static (a, b) => b - a)]);
}

using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>One target from an issue with the number this run measured and whether it was met.</summary>
internal sealed record TargetCheck(string Target, string Measured, TargetStatus Status)
{
    public static TargetCheck AtMost(string target, double measured, double limit, string unit) =>
        new(target, Format(measured, unit), measured <= limit ? TargetStatus.Pass : TargetStatus.Miss);

    public static TargetCheck AtLeast(string target, double measured, double limit, string unit) =>
        new(target, Format(measured, unit), measured >= limit ? TargetStatus.Pass : TargetStatus.Miss);

    public static TargetCheck NotMeasured(string target, string reason) => new(target, reason, TargetStatus.NotMeasured);

    /// <summary>Prints the targets as the closing section of a mode's output.</summary>
    public static void Print(TextWriter writer, IEnumerable<TargetCheck> checks, string issue = "issue 5")
    {
        writer.WriteLine();
        writer.WriteLine($"## Targets ({issue})");
        writer.WriteLine();
        foreach (var check in checks)
        {
            var status = check.Status switch
            {
                TargetStatus.Pass => "PASS",
                TargetStatus.Miss => "MISS",
                _ => "NOT MEASURED",
            };
            writer.WriteLine(check.Status == TargetStatus.NotMeasured
                ? $"- {status}: {check.Target} ({check.Measured})"
                : $"- {status}: {check.Target}: measured {check.Measured}");
        }
    }

    private static string Format(double value, string unit) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 ? "N0" : "0.###", CultureInfo.InvariantCulture) + unit;
}

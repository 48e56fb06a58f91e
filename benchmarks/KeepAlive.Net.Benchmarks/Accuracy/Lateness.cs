using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>Formats lateness in microseconds for people (µs, ms, s) and for files (milliseconds, invariant culture).</summary>
internal static class Lateness
{
    public static string Human(long microseconds) => microseconds switch
    {
        < 1_000 => $"{microseconds} µs",
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1_000.0:0.##} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1_000_000.0:0.##} s"),
    };

    public static string Milliseconds(long microseconds) => (microseconds / 1_000.0).ToString("0.###", CultureInfo.InvariantCulture);
}

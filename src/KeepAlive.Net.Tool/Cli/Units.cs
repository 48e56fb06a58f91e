using System.Globalization;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// How the tool writes times and counts for people, on every screen: as the configuration reads them
/// (<see cref="KeepAliveDuration.Format(TimeSpan)"/>: "47s500ms", "5m50s", "250ms"), so a report, a table, a verdict and
/// the settings they advise never show one duration two ways.
/// </summary>
internal static class Units
{
    /// <summary>A duration to the millisecond: "50s", "3s500ms", "250ms"; <paramref name="missing"/> for <see langword="null"/>.</summary>
    public static string Time(TimeSpan? value, string missing = "unknown") => value switch
    {
        null => missing,
        { } v when v > TimeSpan.Zero && v < TimeSpan.FromMilliseconds(0.5) => "under 1ms",
        { } v => KeepAliveDuration.FormatMeasured(v),
    };

    /// <summary>
    /// Seconds (as the JSON carries them) written as <see cref="Time"/> writes a duration; beyond what a TimeSpan holds
    /// (a capture's corrupt timestamps) as plain seconds.
    /// </summary>
    public static string Seconds(double? seconds, string missing = "n/a") => seconds switch
    {
        { } s when double.IsFinite(s) && Math.Abs(s) < TimeSpan.MaxValue.TotalSeconds => Time(TimeSpan.FromSeconds(s)),
        { } s when double.IsFinite(s) => string.Create(CultureInfo.InvariantCulture, $"{s:0}s"),
        _ => missing,
    };

    public static string Number(long? value, string missing = "unknown") =>
        value?.ToString(CultureInfo.InvariantCulture) ?? missing;

    /// <summary>"1 probe", "3 probes".</summary>
    public static string Count(long value, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{value} {(value == 1 ? singular : plural ?? singular + "s")}");
}

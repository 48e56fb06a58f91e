using System.Globalization;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// How the tool writes times and counts for people, on every screen: as the configuration reads them
/// (<see cref="KeepAliveDuration.Format(TimeSpan)"/>: "47s500ms", "5m50s", "250ms"), so a report, a table, a verdict and
/// the settings they advise never show one duration two ways.
/// </summary>
/// <remarks>
/// One rule keeps a printed figure from contradicting the verdict beside it: a configured value (a peer idle timeout, a
/// planned hold, a maximum) is written exactly, with <see cref="KeepAliveDuration.Format(TimeSpan)"/>; a measured one is
/// rounded to the millisecond (<see cref="Time"/>), and where the sentence or its verdict holds it against a bound, in
/// the direction that keeps the sentence true: down (<see cref="AtMost"/>) where it is said to be reached or exceeded
/// ("survived up to", "held ... of the planned"), up (<see cref="AtLeast"/>) where it is said not to be ("forgotten after").
/// </remarks>
internal static class Units
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>A duration to the millisecond: "50s", "3s500ms", "250ms"; <paramref name="missing"/> for <see langword="null"/>.</summary>
    public static string Time(TimeSpan? value, string missing = "unknown") => value switch
    {
        null => missing,
        { } v when v > TimeSpan.Zero && v < TimeSpan.FromMilliseconds(0.5) => "under 1ms",
        { } v => KeepAliveDuration.FormatMeasured(v),
    };

    /// <summary>
    /// A measured duration rounded down to the millisecond, never more than was measured: a silence survived, a hold cut
    /// short ("after 59s999ms of the planned 1m", never "after 1m"); "under 1ms" below a millisecond.
    /// </summary>
    public static string AtMost(TimeSpan value) =>
        value > TimeSpan.Zero && value < Millisecond ? "under 1ms" : Time(value - Remainder(value));

    /// <summary>A measured duration rounded up to the millisecond, never less than was measured: a silence that was not survived.</summary>
    public static string AtLeast(TimeSpan value) =>
        Time(Remainder(value) is { Ticks: > 0 } rest && value <= TimeSpan.MaxValue - Millisecond ? value - rest + Millisecond : value);

    /// <summary>What <paramref name="value"/> holds beyond its whole milliseconds (counted from below, also when it is negative).</summary>
    private static TimeSpan Remainder(TimeSpan value) =>
        TimeSpan.FromTicks(((value.Ticks % Millisecond.Ticks) + Millisecond.Ticks) % Millisecond.Ticks);

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

using System.Globalization;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Check;

/// <summary>How a held connection ended, or that it survived, and whether that matches the configured bound.</summary>
internal sealed record CheckOutcome(bool Died, string How, TimeSpan After, TimeSpan SincePeerHeard, TimeSpan? Bound, string BoundHow, HeartbeatStatistics? Heartbeats)
{
    /// <summary>How a connection that our kernel gave up on is described.</summary>
    public const string TimedOutPrefix = "timed out";

    public string Describe()
    {
        var heartbeats = Heartbeats is { } h
            ? string.Create(CultureInfo.InvariantCulture, $" Heartbeats: {h.Sent} sent, {h.Delayed} late, worst lateness {Units.Time(h.MaxLateness)}.")
            : string.Empty;
        if (!Died)
        {
            return $"ALIVE: the connection was held for {Units.Time(After)} and is still open.{heartbeats}";
        }

        var verdict = !How.StartsWith(TimedOutPrefix, StringComparison.Ordinal)
            ? "the peer (or a middlebox) ended it; this was not our kernel giving up"
            : Bound is not { } bound
            ? "no bound is known on this platform"
            : Matches(SincePeerHeard, bound)
                ? $"this matches the configured bound of {Units.Time(bound)} ({BoundHow})"
                : SincePeerHeard < bound
                    ? $"sooner than the configured bound of {Units.Time(bound)} ({BoundHow}): something else ended it"
                    : $"LATER than the configured bound of {Units.Time(bound)} ({BoundHow})";
        return $"DIED: {How} after {Units.Time(Round(After))} held, {Units.Time(Round(SincePeerHeard))} after the peer was last heard; {verdict}.{heartbeats}";
    }

    private static bool Matches(TimeSpan actual, TimeSpan bound) =>
        (actual - bound).Duration() <= TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1.5).Ticks, bound.Ticks / 5));

    private static TimeSpan Round(TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds));
}

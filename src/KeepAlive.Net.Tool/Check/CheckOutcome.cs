using System.Globalization;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Check;

/// <summary>How a held connection ended, or that it survived, and whether that matches the configured bound.</summary>
/// <param name="Died">Whether the connection ended during the hold.</param>
/// <param name="How">How it ended (or "alive").</param>
/// <param name="After">How long it was held.</param>
/// <param name="SincePeerHeard">How long the peer had been silent at the end.</param>
/// <param name="Bound">When the configured keep-alive should have found a dead peer, or <see langword="null"/>.</param>
/// <param name="BoundHow">How <paramref name="Bound"/> was computed.</param>
/// <param name="Heartbeats">The heartbeat's statistics, or <see langword="null"/> without <c>--heartbeat</c>.</param>
/// <param name="CutShortOf">The planned hold when Ctrl-C or SIGTERM ended it sooner, or <see langword="null"/>: alive until then is no pass.</param>
internal sealed record CheckOutcome(bool Died, string How, TimeSpan After, TimeSpan SincePeerHeard, TimeSpan? Bound, string BoundHow, HeartbeatStatistics? Heartbeats, TimeSpan? CutShortOf = null)
{
    /// <summary>How a connection that our kernel gave up on is described.</summary>
    public const string TimedOutPrefix = "timed out";

    /// <summary>Gets a value indicating whether a heartbeat started late (later than its warning threshold): a finding, as a dead connection is.</summary>
    public bool LateHeartbeats => Heartbeats is { Delayed: > 0 };

    /// <summary>Gets the exit code: a finding (the connection died, or a heartbeat was late) even when the hold was cut short.</summary>
    public int ExitCode => Died || LateHeartbeats ? ExitCodes.Finding : CutShortOf is not null ? ExitCodes.Interrupted : ExitCodes.Fine;

    public string Describe()
    {
        var heartbeats = Heartbeats is { } h
            ? string.Create(CultureInfo.InvariantCulture, $" Heartbeats: {h.Sent} sent, {h.Delayed} late, worst lateness {Units.Time(h.MaxLateness)}.{(LateHeartbeats ? $" FINDING: {Units.Count(h.Delayed, "heartbeat")} started late (the last: {h.LastDelayCause}), exit code {ExitCodes.Finding}." : string.Empty)}")
            : string.Empty;
        if (!Died)
        {
            return CutShortOf is { } planned
                ? $"STOPPED: the hold was cut short by Ctrl-C or SIGTERM after {Units.AtMost(After)} of the planned {KeepAliveDuration.Format(planned)}; the connection was alive and open until then, but the rest of the hold was not watched, so this is no pass (exit code {ExitCode}).{heartbeats}"
                : $"ALIVE: the connection was held for {Units.Time(After)} and is still open.{heartbeats}";
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
        if (!How.StartsWith(TimedOutPrefix, StringComparison.Ordinal))
        {
            // The RST or FIN was heard last: what tells is the silence before it, and whether a known idle timeout is that long.
            return $"DIED: {How} after {Units.Time(Round(After))} held, the connection silent for {Units.Time(Round(SincePeerHeard))} before it ended; {verdict}{IdleTimeoutHint()}.{heartbeats}";
        }

        return $"DIED: {How} after {Units.Time(Round(After))} held, {Units.Time(Round(SincePeerHeard))} after the peer was last heard; {verdict}.{heartbeats}";
    }

    // A silence within 2 % (at least 1.5 s) of a preset's idle timeout names it (every preset that long: AwsNlb and
    // AwsNatGateway alike): the likely middlebox, and how to measure it.
    private string IdleTimeoutHint()
    {
        var presets = PeerIdleTimeout.Presets
            .Where(p => (SincePeerHeard - p.Value).Duration() <= TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1.5).Ticks, p.Value.Ticks / 50))).ToList();
        return presets.Count == 0
            ? string.Empty
            : $", after as long as {string.Join(" or ", presets.Select(static p => $"{p.PresetName}'s"))} idle timeout ({Units.Time(presets[0].Value)}): likely a middlebox dropping an idle connection; measure the path's with 'keepalive probe-idle'";
    }

    private static bool Matches(TimeSpan actual, TimeSpan bound) =>
        (actual - bound).Duration() <= TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1.5).Ticks, bound.Ticks / 5));

    private static TimeSpan Round(TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds));
}

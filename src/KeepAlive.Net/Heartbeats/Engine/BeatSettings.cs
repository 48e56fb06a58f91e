using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// A registration's options in timestamp ticks, shared by every registration with equal values (a slot holds an index),
/// with what telemetry needs: the name, its metric tag, the lateness budget.
/// </summary>
internal sealed class BeatSettings
{
    /// <summary>The option values these settings were made from; equal keys share one instance and one validation.</summary>
    public readonly BeatSettingsKey Key;

    public BeatSettings(BeatSettingsKey key, TimeProvider timeProvider)
    {
        Key = key;
        Name = key.Name ?? string.Empty;
        IntervalTicks = SchedulePolicy.Ticks(key.Interval, timeProvider);
        JitterTicks = SchedulePolicy.Ticks(key.Jitter, timeProvider);
        TimeoutTicks = key.Timeout is { } timeout ? SchedulePolicy.Ticks(timeout, timeProvider) : 0;
        BlockedTicks = SchedulePolicy.Ticks(key.BlockedThreshold, timeProvider);
        ToleranceTicks = SchedulePolicy.Ticks(SchedulePolicy.Tolerance(key.Interval), timeProvider);
        SpreadTicks = SchedulePolicy.Ticks(key.Spread, timeProvider);
        NameTag = HeartbeatMetrics.NameTag(Name);
        PeerText = key.PeerIdleTimeout?.ToString() ?? "none";
    }

    /// <summary>The name, its metric tag and the peer's idle timeout as text (for logs), made once.</summary>
    public readonly string Name, PeerText;
    public readonly KeyValuePair<string, object?> NameTag;

    // The option values the engine and telemetry read, from the key.
    public HeartbeatMode Mode => Key.Mode;
    public TimeSpan Interval => Key.Interval;
    public TimeSpan? Timeout => Key.Timeout;
    public TimeSpan DriftWarningThreshold => Key.DriftWarningThreshold;
    public TimeSpan BlockedThreshold => Key.BlockedThreshold;

    /// <summary>Gets <see cref="HeartbeatOptions.LatenessBudget"/>: how late a heartbeat may be before the peer gives up.</summary>
    public TimeSpan? Margin => Key.LatenessBudget;

    /// <summary>The options in ticks (timeout 0: liveness off; tolerance: rule 8's coalescing; spread: rule 7's bound, 0 aligned).</summary>
    public readonly long IntervalTicks, JitterTicks, TimeoutTicks, BlockedTicks, ToleranceTicks, SpreadTicks;

    /// <summary>Gets or sets where rule 7 places the next registration of a burst. Only the owner of the timer loop touches it.</summary>
    public long SpreadCursor { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="SpreadCursor"/> was last moved on the assumed cost, before a heartbeat was measured.</summary>
    public bool SpreadAssumed { get; set; }

    /// <summary>Gets or sets how many live slots use these settings (changed under the table's lock).</summary>
    public int References { get; set; }

    public static BeatSettingsKey KeyOf(HeartbeatOptions options) => new(
        options.Name, options.Mode, options.Interval, options.Timeout, options.Jitter, options.EffectiveSpread, options.DriftWarningThreshold,
        options.BlockedCallbackThreshold, options.PeerIdleTimeout, options.MaxIntervalToPeerIdleRatio, options.LatenessBudget);

    public void LogRegistered(ILogger logger)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var (interval, timeout) = (KeepAliveDuration.Format(Interval), Timeout is { } t ? KeepAliveDuration.Format(t) : "none");
            var (peer, spread) = (Key.PeerIdleTimeout?.ToString() ?? "none", KeepAliveDuration.Format(Key.Spread));
            Diagnostics.Log.HeartbeatRegistered(logger, Name, Mode, interval, timeout, peer, spread);
        }
    }
}

/// <summary>Every value of <see cref="HeartbeatOptions"/> that a registration's <see cref="BeatSettings"/> depend on.</summary>
internal readonly record struct BeatSettingsKey(
    string? Name, HeartbeatMode Mode, TimeSpan Interval, TimeSpan? Timeout, TimeSpan Jitter, TimeSpan Spread, TimeSpan DriftWarningThreshold,
    TimeSpan BlockedThreshold, PeerIdleTimeout? PeerIdleTimeout, double MaxIntervalToPeerIdleRatio, TimeSpan? LatenessBudget);

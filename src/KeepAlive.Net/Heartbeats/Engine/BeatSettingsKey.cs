namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Every value of <see cref="HeartbeatOptions"/>: equal keys share one <see cref="BeatSettings"/> and one validation.
/// </summary>
internal readonly record struct BeatSettingsKey(
    string? Name,
    HeartbeatMode Mode,
    TimeSpan Interval,
    TimeSpan? Timeout,
    TimeSpan Jitter,
    TimeSpan Spread,
    TimeSpan DriftWarningThreshold,
    TimeSpan BlockedThreshold,
    PeerIdleTimeout? PeerIdleTimeout,
    double MaxIntervalToPeerIdleRatio,
    TimeSpan? LatenessBudget);

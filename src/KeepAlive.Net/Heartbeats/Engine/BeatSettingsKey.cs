namespace KeepAlive.Net.Heartbeats;

/// <summary>The values of <see cref="HeartbeatOptions"/> that a registration keeps; equal keys share one <see cref="BeatSettings"/>.</summary>
internal readonly record struct BeatSettingsKey(
    string? Name,
    HeartbeatMode Mode,
    TimeSpan Interval,
    TimeSpan? Timeout,
    TimeSpan Jitter,
    TimeSpan DriftWarningThreshold,
    TimeSpan BlockedThreshold,
    PeerIdleTimeout? PeerIdleTimeout);

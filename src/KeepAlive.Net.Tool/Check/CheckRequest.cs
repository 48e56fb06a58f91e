using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Check;

/// <summary>What <c>check</c> was asked to do.</summary>
/// <param name="Target">Where to connect.</param>
/// <param name="Profile">The profile, or <see langword="null"/> for the library's defaults (never with <paramref name="Heartbeat"/>, whose period sets one).</param>
/// <param name="Heartbeat">The text <c>--heartbeat</c> sends, or <see langword="null"/>.</param>
/// <param name="Hold">How long to hold the connection.</param>
/// <param name="Capture">Where to record its packets, or <see langword="null"/>.</param>
internal sealed record CheckRequest(
    HostAndPort Target,
    ResolvedProfile? Profile,
    string? Heartbeat,
    TimeSpan Hold,
    FileInfo? Capture)
{
    /// <summary>
    /// Gets the heartbeat <c>--heartbeat</c> sends, or <see langword="null"/> without it: the profile's own, its
    /// <c>Heartbeat:Interval</c> the period (<c>--every</c>, else the file's, else 1 s), with every value that decides when
    /// a heartbeat is late as the application's is: Jitter and Spread (which move it), PeerIdleTimeout (the lateness budget)
    /// and DriftWarningThreshold. Sent at a fixed rate, named <c>check</c>, and without Timeout: check judges the peer by the
    /// kernel, not by answers to the heartbeat, so no peer silence may end it.
    /// </summary>
    public HeartbeatOptions? SentHeartbeat => Heartbeat is null ? null : Sent(Profile!.Options.Heartbeat);

    private static HeartbeatOptions Sent(HeartbeatOptions profile) => new()
    {
        Name = "check",
        Mode = HeartbeatMode.FixedRate,
        Interval = profile.Interval,
        Jitter = profile.Jitter,
        Spread = profile.Spread,
        PeerIdleTimeout = profile.PeerIdleTimeout,
        MaxIntervalToPeerIdleRatio = profile.MaxIntervalToPeerIdleRatio,
        DriftWarningThreshold = profile.DriftWarningThreshold,
        BlockedCallbackThreshold = profile.BlockedCallbackThreshold,
    };
}

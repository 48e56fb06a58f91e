namespace KeepAlive.Net;

/// <summary>A snapshot of one registration's (or one <see cref="DriftMonitor"/>'s) heartbeat accounting.</summary>
public sealed record HeartbeatStatistics
{
    /// <summary>Gets the number of heartbeats whose send completed without an exception.</summary>
    public long Sent { get; init; }

    /// <summary>Gets the number of sends that threw or faulted.</summary>
    public long Failed { get; init; }

    /// <summary>Gets the number of due heartbeats folded into a later one after a stall (never sent as a burst).</summary>
    public long Skipped { get; init; }

    /// <summary>Gets the number of heartbeats that started later than the warning threshold or the budget allows.</summary>
    public long Delayed { get; init; }

    /// <summary>Gets the number of sends reported as blocked (running longer than <see cref="HeartbeatOptions.BlockedCallbackThreshold"/>).</summary>
    public long Blocked { get; init; }

    /// <summary>Gets the largest lateness seen.</summary>
    public TimeSpan MaxLateness { get; init; }

    /// <summary>Gets the lateness of the most recent heartbeat.</summary>
    public TimeSpan LastLateness { get; init; }

    /// <summary>Gets how long the most recent send took, whether it succeeded or failed (a failed one also counts in <see cref="Failed"/>).</summary>
    public TimeSpan LastSendDuration { get; init; }

    /// <summary>Gets the cause of the most recent delayed heartbeat, or <see cref="HeartbeatDelayCause.None"/>.</summary>
    public HeartbeatDelayCause LastDelayCause { get; init; }

    /// <summary>Gets a value indicating whether the peer was declared dead.</summary>
    public bool PeerDead { get; init; }
}

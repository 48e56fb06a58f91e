namespace KeepAlive.Net.Hosting;

/// <summary>Thresholds of the keep-alive health check registered with <c>services.AddHealthChecks().AddKeepAlive()</c>.</summary>
public class KeepAliveHealthCheckOptions
{
    private const int DefaultWindowSeconds = 60;
    private const double DefaultDegradedBudgetFraction = 0.5;
    private const int DefaultUnhealthyPeerDeadCount = 3;

    /// <summary>Gets or sets how far back the check looks: lateness and dead peers older than this no longer count.</summary>
    /// <value>The default value is 1 minute.</value>
    [KeepAliveRange("1s", "1d", Example = "1m",
        MinimumReason = "a shorter look back judges single heartbeats, not the recent past.",
        MaximumReason = "lateness older than a day says nothing about the service now.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(DefaultWindowSeconds);

    /// <summary>
    /// Gets or sets the part of a profile's idle budget (<see cref="HeartbeatOptions.LatenessBudget"/>:
    /// <c>PeerIdleTimeout - Interval - Jitter - Spread</c>) that the worst
    /// heartbeat lateness in the window may eat before the check reports Degraded.
    /// </summary>
    /// <value>The default value is 0.5: Degraded when a heartbeat was late by more than half the budget.</value>
    [KeepAliveRange(0, 1, MinimumIsExclusive = true, Example = "0.5",
        MinimumReason = "it is the part of the idle budget a late heartbeat may eat, and at 0 any lateness at all, even the microseconds of a heartbeat sent on time, would make the check Degraded.",
        MaximumReason = "a heartbeat later than the whole budget has already cost the connection; use 0.25 for an earlier warning.")]
    public double DegradedBudgetFraction { get; set; } = DefaultDegradedBudgetFraction;

    /// <summary>
    /// Gets or sets how many peers of one profile declared dead within the window make the check report its failure status
    /// (Unhealthy by default): 1 reports it at the first dead peer. 0 and negative counts such as -1 are refused, since the
    /// check would report it with no dead peer at all.
    /// </summary>
    /// <value>The default value is 3.</value>
    [KeepAliveRange(1, 1_000_000, Example = "3",
        MinimumReason = "at 0 or below, the check would be unhealthy with no dead peer at all.",
        MaximumReason = "a check that waits for a million dead peers in one window never reports one.")]
    public int UnhealthyPeerDeadCount { get; set; } = DefaultUnhealthyPeerDeadCount;
}

namespace KeepAlive.Net.Hosting;

/// <summary>Thresholds of the keep-alive health check registered with <c>services.AddHealthChecks().AddKeepAlive()</c>.</summary>
public class KeepAliveHealthCheckOptions
{
    private const int DefaultWindowSeconds = 60;
    private const double DefaultDegradedBudgetFraction = 0.5;
    private const int DefaultUnhealthyPeerDeadCount = 3;

    /// <summary>Gets or sets how far back the check looks: lateness and dead peers older than this no longer count.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(DefaultWindowSeconds);

    /// <summary>
    /// Gets or sets the part of a profile's idle budget (<c>PeerIdleTimeout - Interval - Jitter</c>) that the worst
    /// heartbeat lateness in the window may eat before the check reports Degraded.
    /// </summary>
    /// <value>The default value is 0.5: Degraded when a heartbeat was late by more than half the budget.</value>
    public double DegradedBudgetFraction { get; set; } = DefaultDegradedBudgetFraction;

    /// <summary>Gets or sets how many peers of one profile declared dead within the window make the check report its failure status (Unhealthy by default).</summary>
    /// <value>The default value is 3.</value>
    public int UnhealthyPeerDeadCount { get; set; } = DefaultUnhealthyPeerDeadCount;
}

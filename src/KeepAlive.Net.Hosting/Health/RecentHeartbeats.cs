namespace KeepAlive.Net.Hosting.Health;

/// <summary>The sums of a <see cref="RecentHeartbeatWindow"/> over the health check's window.</summary>
internal struct RecentHeartbeats
{
    public long Heartbeats;
    public long PeersDead;
    public long PeersDeadBySendFailure;
    public long SendsBlocked;
    public long HeartbeatsOverdue;
    public string? OverdueCause;
    public double MaxLatenessSeconds;
    public string? Cause;
}

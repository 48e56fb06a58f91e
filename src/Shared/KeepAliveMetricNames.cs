namespace KeepAlive.Net.Diagnostics;

/// <summary>
/// Names, units and tags of every instrument of the <c>KeepAlive.Net</c> meter, as docs/HEARTBEATS.md (Metrics) documents
/// them: declared once, compiled into KeepAlive.Net (the heartbeat instruments) and KeepAlive.Net.Hosting (the profile
/// instruments, and the health check that listens to the heartbeat ones).
/// </summary>
internal static class KeepAliveMetricNames
{
    public const string MeterName = "KeepAlive.Net";
    public const string Lateness = "keepalive.heartbeat.lateness";
    public const string SendDuration = "keepalive.heartbeat.send.duration";
    public const string Sent = "keepalive.heartbeat.sent";
    public const string Delayed = "keepalive.heartbeat.delayed";
    public const string Failed = "keepalive.heartbeat.failed";
    public const string Skipped = "keepalive.heartbeat.skipped";
    public const string Blocked = "keepalive.heartbeat.blocked";
    public const string PeerDead = "keepalive.peer.dead";
    public const string Registrations = "keepalive.heartbeat.registrations";
    public const string ReloadRejected = "keepalive.profile.reload.rejected";
    public const string Seconds = "s";
    public const string HeartbeatsUnit = "{heartbeat}";
    public const string CauseTag = "cause";
    public const string NameTag = "keepalive.heartbeat.name";
    public const string ProfileTag = "keepalive.profile";

    /// <summary>Why a peer was declared dead (<see cref="PeerDead"/>): <see cref="PeerSilent"/> or <see cref="SendFailed"/>.</summary>
    public const string ReasonTag = "reason";
    public const string PeerSilent = "timeout";
    public const string SendFailed = "send_failed";
}

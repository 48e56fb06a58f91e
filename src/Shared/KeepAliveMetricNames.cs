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
    public const string Overdue = "keepalive.heartbeat.overdue";
    public const string PeerDead = "keepalive.peer.dead";
    public const string Registrations = "keepalive.heartbeat.registrations";
    public const string ReloadRejected = "keepalive.profile.reload.rejected";
    public const string LogFailed = "keepalive.log.failed";
    public const string Seconds = "s";
    public const string HeartbeatsUnit = "{heartbeat}";
    public const string PeersUnit = "{peer}";
    public const string RegistrationsUnit = "{registration}";
    public const string ReloadsUnit = "{reload}";
    public const string RecordsUnit = "{record}";
    public const string NameTag = "keepalive.heartbeat.name";

    // Tags follow OpenTelemetry's attribute naming: namespaced under keepalive (a bare "cause" or "reason" clashes with other
    // libraries' on one exporter), and no name is also a namespace, metric names included ("keepalive.peer.dead.reason"
    // would make the metric keepalive.peer.dead one; "keepalive.profile" was the namespace of keepalive.profile.reload.rejected).

    /// <summary>Why a heartbeat was late (<see cref="Lateness"/>, <see cref="Delayed"/>): a <c>HeartbeatDelayCause</c> in snake_case.</summary>
    public const string CauseTag = "keepalive.lateness.cause";

    /// <summary>The profile of a <see cref="ReloadRejected"/>.</summary>
    public const string ProfileTag = "keepalive.profile.name";

    /// <summary>Why a peer was declared dead (<see cref="PeerDead"/>): <see cref="PeerSilent"/> or <see cref="SendFailed"/>.</summary>
    public const string ReasonTag = "keepalive.peer.death.reason";
    public const string PeerSilent = "timeout";
    public const string SendFailed = "send_failed";
}

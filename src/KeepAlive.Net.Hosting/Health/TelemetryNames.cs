namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// The public telemetry the health check listens to: the <c>KeepAlive.Net</c> meter's instruments as documented in
/// docs/HEARTBEATS.md (Metrics). These names are the library's stable contract, not engine internals.
/// </summary>
internal static class TelemetryNames
{
    public const string MeterName = "KeepAlive.Net";
    public const string Lateness = "keepalive.heartbeat.lateness";
    public const string PeerDead = "keepalive.peer.dead";
    public const string Blocked = "keepalive.heartbeat.blocked";
    public const string NameTag = "keepalive.heartbeat.name";
    public const string CauseTag = "cause";
    public const string ReasonTag = "reason";
    public const string SendFailed = "send_failed";
}

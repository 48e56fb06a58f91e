using System.Diagnostics.Metrics;
using System.Text.Json;
using N = KeepAlive.Net.Diagnostics.HeartbeatMetricNames;

namespace KeepAlive.Net.Heartbeats;

/// <summary>The heartbeat instruments of the <c>KeepAlive.Net</c> meter, created through <see cref="IMeterFactory"/> when given.</summary>
internal sealed class HeartbeatMetrics : IDisposable
{
    public readonly Histogram<double> Lateness, SendDuration;
    public readonly Counter<long> Sent, Delayed, Failed, Skipped, Blocked, PeerDead;
    public readonly UpDownCounter<long> Registrations;
    private static readonly string[] CauseNames = Enum.GetNames<HeartbeatDelayCause>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToArray();
    private readonly Meter? _ownedMeter;

    public HeartbeatMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(new MeterOptions(N.MeterName)) ?? (_ownedMeter = new Meter(N.MeterName));
        Lateness = meter.CreateHistogram<double>(N.Lateness, N.Seconds, "Start of a heartbeat's send minus its due time.");
        SendDuration = meter.CreateHistogram<double>(N.SendDuration, N.Seconds, "Duration of a heartbeat's send.");
        Sent = meter.CreateCounter<long>(N.Sent, N.HeartbeatsUnit, "Heartbeats sent.");
        Delayed = meter.CreateCounter<long>(N.Delayed, N.HeartbeatsUnit, "Heartbeats started later than the warning threshold or half the budget.");
        Failed = meter.CreateCounter<long>(N.Failed, N.HeartbeatsUnit, "Heartbeat sends that threw or faulted.");
        Skipped = meter.CreateCounter<long>(N.Skipped, N.HeartbeatsUnit, "Due heartbeats folded into a later one after a stall.");
        Blocked = meter.CreateCounter<long>(N.Blocked, N.HeartbeatsUnit, "Heartbeat sends that ran longer than the blocked threshold.");
        PeerDead = meter.CreateCounter<long>(N.PeerDead, "{peer}", "Peers declared dead: silent for longer than the timeout, or a heartbeat send that failed for good (connection reset or closed).");
        Registrations = meter.CreateUpDownCounter<long>(N.Registrations, "{registration}", "Live heartbeat registrations.");
    }

    public static KeyValuePair<string, object?> CauseTag(HeartbeatDelayCause cause) => new(N.CauseTag, CauseNames[(int)cause]);

    public static KeyValuePair<string, object?> NameTag(string name) => new(N.NameTag, name);

    public void Dispose() => _ownedMeter?.Dispose();
}

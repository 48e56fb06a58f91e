using System.Diagnostics.Metrics;
using System.Text.Json;
using KeepAlive.Net.Diagnostics;
using N = KeepAlive.Net.Diagnostics.KeepAliveMetricNames;

namespace KeepAlive.Net.Heartbeats;

/// <summary>The heartbeat instruments of the <c>KeepAlive.Net</c> meter, created through <see cref="IMeterFactory"/> when given.</summary>
internal sealed class HeartbeatMetrics : IDisposable
{
    public readonly Histogram<double> Lateness, SendDuration;
    public readonly Counter<long> Sent, Delayed, Failed, Skipped, Blocked, Overdue, PeerDead, LogFailed;
    public readonly UpDownCounter<long> Registrations;
    /// <summary>
    /// The buckets both histograms advise, in seconds: an OpenTelemetry exporter's default boundaries (0, 5, 10, 25 ... 10000)
    /// are made for milliseconds and would put every value under 5 s in one bucket, from an on-time heartbeat (tens of µs) to
    /// one seconds late. These tell the two apart, and reach past the 13 s of docs/CASE.md up to GCP Cloud NAT's 20 min.
    /// </summary>
    public static readonly IReadOnlyList<double> BucketBoundaries =
        [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 1200];

    private static readonly KeyValuePair<string, object?> PeerSilentTag = new(N.ReasonTag, N.PeerSilent), SendFailedTag = new(N.ReasonTag, N.SendFailed);
    private static readonly string[] CauseNames = Enum.GetNames<HeartbeatDelayCause>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToArray();
    private readonly Meter? _ownedMeter;

    public HeartbeatMetrics(IMeterFactory? meterFactory)
    {
        var meter = KeepAliveMeter.Create(meterFactory, out _ownedMeter);
        var inSeconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = BucketBoundaries };
        Lateness = meter.CreateHistogram(N.Lateness, N.Seconds, "Start of a heartbeat's send minus its due time.", tags: null, advice: inSeconds);
        SendDuration = meter.CreateHistogram(N.SendDuration, N.Seconds, "Duration of a heartbeat's send.", tags: null, advice: inSeconds);
        Sent = meter.CreateCounter<long>(N.Sent, N.HeartbeatsUnit, "Heartbeats sent.");
        Delayed = meter.CreateCounter<long>(N.Delayed, N.HeartbeatsUnit, "Heartbeats started later than the warning threshold or half the budget.");
        Failed = meter.CreateCounter<long>(N.Failed, N.HeartbeatsUnit, "Heartbeat sends that threw or faulted.");
        Skipped = meter.CreateCounter<long>(N.Skipped, N.HeartbeatsUnit, "Due heartbeats folded into a later one after a stall.");
        Blocked = meter.CreateCounter<long>(N.Blocked, N.HeartbeatsUnit, "Heartbeat sends that ran longer than the blocked threshold.");
        Overdue = meter.CreateCounter<long>(N.Overdue, N.HeartbeatsUnit, "Heartbeats a watched DriftMonitor expected and had not seen an interval plus the delayed threshold after the last one, counted while they still wait: once per stall.");
        PeerDead = meter.CreateCounter<long>(N.PeerDead, N.PeersUnit, "Peers declared dead: silent for longer than the timeout, or a heartbeat send that failed for good (connection reset or closed).");
        Registrations = meter.CreateUpDownCounter<long>(N.Registrations, N.RegistrationsUnit, "Live heartbeat registrations.");
        LogFailed = GuardedLogger.CreateCounter(meter); // one instrument, one description, in every package
    }

    public static KeyValuePair<string, object?> CauseTag(HeartbeatDelayCause cause) => new(N.CauseTag, CauseNames[(int)cause]);

    public static KeyValuePair<string, object?> NameTag(string name) => new(N.NameTag, name);

    /// <summary>The reason tag of a dead peer: silent past the timeout, or a heartbeat send that failed for good.</summary>
    public static KeyValuePair<string, object?> PeerDeadReasonTag(bool sendFailed) => sendFailed ? SendFailedTag : PeerSilentTag;

    public void Dispose() => _ownedMeter?.Dispose();
}

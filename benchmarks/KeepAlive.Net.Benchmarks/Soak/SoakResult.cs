namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>Everything one soak measured: the heartbeat run, the bare-send baseline on the same connections, and what the peer saw.</summary>
internal sealed record SoakResult(
    SoakOptions Options,
    int Connections,
    TimeSpan Window,
    Accuracy.TrackerTotals Totals,
    Accuracy.LatenessHistogram Lateness,
    TimeSpan Cpu,
    long BaselineSends,
    TimeSpan BaselineCpu,
    int Lost,
    PeerReport Peer,
    long BytesSent,
    long SendFailures)
{
    /// <summary>Process CPU over the measured window divided by heartbeats sent, in microseconds (NaN when none was sent).</summary>
    public double CpuPerHeartbeat => Totals.Sent == 0 ? double.NaN : Cpu.TotalMicroseconds / Totals.Sent;

    /// <summary>Process CPU over the baseline divided by the sends it made, in microseconds (NaN when none was made).</summary>
    public double CpuPerBareSend => BaselineSends == 0 ? double.NaN : BaselineCpu.TotalMicroseconds / BaselineSends;

    public long LostTotal => Lost + Peer.ClosedEarly;
}

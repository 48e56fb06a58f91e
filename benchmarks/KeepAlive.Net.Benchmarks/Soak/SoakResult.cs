namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>Everything the soak measured, for the report.</summary>
internal sealed record SoakResult(
    SoakOptions Options,
    int Connections,
    IReadOnlyList<SoakRun> Runs,
    long BaselineSends,
    TimeSpan BaselineCpu,
    int Lost,
    PeerReport Peer,
    long BytesSent,
    long SendFailures,
    KernelMemory KernelPerConnection,
    double SocketManagedBytes)
{
    public double CpuPerBareSend => BaselineSends == 0 ? double.NaN : BaselineCpu.TotalMicroseconds / BaselineSends;

    public long LostTotal => Lost + Peer.ClosedEarly;

    /// <summary>Gets the bytes sent that the peer did not receive (0: nothing lost).</summary>
    public long BytesMissing => BytesSent - Peer.BytesReceived;
}

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// One row of the cost table: a contender at one size, firing (<see cref="CostScenario.Firing"/>) or at rest
/// (<see cref="CostScenario.Idle"/> with 10 registrations, <see cref="CostScenario.Empty"/> after its only
/// registration came and went). Values that a scenario does not measure are NaN or null.
/// </summary>
internal sealed record CostResult(
    CostContenderKind Kind,
    string Contender,
    CostScenario Scenario,
    int Registrations,
    double CpuPercent,
    long Expected,
    long Delivered,
    Accuracy.LatenessHistogram? Lateness,
    double BytesPerRegistration,
    double BytesPerFire,
    TimeSpan? RegisterAll,
    double CpuMicrosecondsPerFire)
{
    /// <summary>Gets what KeepAlive.Net's own threads used in the window (empty row, Linux), to the nanosecond.</summary>
    public ThreadMeter? SchedulerThreads { get; init; }

    public bool IsOurs => Kind == CostContenderKind.KeepAliveNet;

    public long P50 => Lateness?.PercentileMicroseconds(0.50) ?? 0;

    public long P99 => Lateness?.PercentileMicroseconds(0.99) ?? 0;

    public long Max => Lateness?.MaxMicroseconds ?? 0;
}

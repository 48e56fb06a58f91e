using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>One driver's run: heartbeats, lateness (from the registration's phase, and the library's own), CPU, memory, and the process's allocations and collections in the first round and after it.</summary>
internal sealed record SoakRun(
    SoakDriver Driver,
    string Name,
    TimeSpan Window,
    TrackerTotals Totals,
    LatenessHistogram Lateness,
    LatenessHistogram? LibraryLateness,
    LatenessHistogram? LibraryFirstRound,
    TimeSpan Cpu,
    ProtectionMemory Memory,
    SoakStretch FirstRound,
    SoakStretch Later)
{
    public double CpuPerHeartbeat => Totals.Sent == 0 ? double.NaN : Cpu.TotalMicroseconds / Totals.Sent;
}

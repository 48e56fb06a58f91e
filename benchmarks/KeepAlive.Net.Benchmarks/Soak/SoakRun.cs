using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cost;

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

/// <summary>A stretch of a driver's run (the first round, or the rest): heartbeats sent, bytes the process allocated, and its collections.</summary>
/// <param name="Heartbeats">Heartbeats sent in the stretch.</param>
/// <param name="Allocated">Bytes allocated by every thread of the process.</param>
/// <param name="Gc">The process's collections.</param>
internal readonly record struct SoakStretch(long Heartbeats, long Allocated, GcActivity Gc)
{
    public static SoakStretch Between((ProcessMeter Meter, GcActivity Gc, long Heartbeats) start, (ProcessMeter Meter, GcActivity Gc, long Heartbeats) end) =>
        new(end.Heartbeats - start.Heartbeats, end.Meter.Allocated - start.Meter.Allocated, end.Gc.Since(start.Gc));

    public override string ToString() =>
        $"{(Heartbeats <= 0 ? double.NaN : Allocated / (double)Heartbeats):0.0} B allocated per heartbeat, GC {Gc}";
}

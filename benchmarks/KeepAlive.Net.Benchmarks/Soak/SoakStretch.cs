using KeepAlive.Net.Benchmarks.Cost;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>A stretch of a driver's run (the first round, or the rest): heartbeats sent, the process's CPU, bytes it allocated, and its collections.</summary>
/// <param name="Heartbeats">Heartbeats sent in the stretch.</param>
/// <param name="Cpu">CPU used by every thread of the process.</param>
/// <param name="Allocated">Bytes allocated by every thread of the process.</param>
/// <param name="Gc">The process's collections.</param>
internal readonly record struct SoakStretch(long Heartbeats, TimeSpan Cpu, long Allocated, GcActivity Gc)
{
    /// <summary>Gets the process's CPU per heartbeat sent in the stretch, in microseconds (NaN without heartbeats).</summary>
    public double CpuPerHeartbeat => Heartbeats <= 0 ? double.NaN : Cpu.TotalMicroseconds / Heartbeats;

    public static SoakStretch Between(Mark start, Mark end) =>
        new(end.Heartbeats - start.Heartbeats, end.Meter.Cpu - start.Meter.Cpu, end.Meter.Allocated - start.Meter.Allocated, end.Gc.Since(start.Gc));

    public override string ToString() =>
        $"{(Heartbeats <= 0 ? $"no heartbeats, {Allocated:N0} B allocated" : $"{CpuPerHeartbeat:0.00} µs CPU and {Allocated / (double)Heartbeats:0.0} B allocated per heartbeat")}, GC {Gc}";

    /// <summary>One moment of the run: the process (CPU, allocations, clock), its collections, and the heartbeats sent so far.</summary>
    /// <param name="Meter">The process's reading.</param>
    /// <param name="Gc">Its collections so far.</param>
    /// <param name="Heartbeats">Heartbeats sent so far in the run.</param>
    public readonly record struct Mark(ProcessMeter Meter, GcActivity Gc, long Heartbeats)
    {
        public static Mark Read(long heartbeats) => new(ProcessMeter.Read(), GcActivity.Read(), heartbeats);
    }
}

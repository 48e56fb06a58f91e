using KeepAlive.Net.Benchmarks.Cost;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>A stretch of a driver's run (the first round, or the rest): heartbeats sent, bytes the process allocated, and its collections.</summary>
/// <param name="Heartbeats">Heartbeats sent in the stretch.</param>
/// <param name="Allocated">Bytes allocated by every thread of the process.</param>
/// <param name="Gc">The process's collections.</param>
internal readonly record struct SoakStretch(long Heartbeats, long Allocated, GcActivity Gc)
{
    public static SoakStretch Between((ProcessMeter Meter, GcActivity Gc, long Heartbeats) start, (ProcessMeter Meter, GcActivity Gc, long Heartbeats) end) =>
        new(end.Heartbeats - start.Heartbeats, end.Meter.Allocated - start.Meter.Allocated, end.Gc.Since(start.Gc));

    public override string ToString() =>
        $"{(Heartbeats <= 0 ? $"no heartbeats, {Allocated:N0} B allocated" : $"{Allocated / (double)Heartbeats:0.0} B allocated per heartbeat")}, GC {Gc}";
}

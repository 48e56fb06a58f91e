namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>A clock that moves only when told, in nanosecond ticks, so a benchmark decides exactly which heartbeats are due.</summary>
internal sealed class ManualClock : TimeProvider
{
    public const long TicksPerSecond = 1_000_000_000;

    private long _now = 1;

    public override long TimestampFrequency => TicksPerSecond;

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public void Advance(long ticks) => Interlocked.Add(ref _now, ticks);
}

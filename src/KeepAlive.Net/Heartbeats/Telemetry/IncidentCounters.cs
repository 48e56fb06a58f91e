using KeepAlive.Net.Diagnostics;

namespace KeepAlive.Net.Heartbeats;

/// <summary>Counters of what goes wrong with one heartbeat stream; only streams that had an incident allocate them.</summary>
internal sealed class IncidentCounters
{
    private long _failed;
    private long _skipped;
    private long _delayed;
    private long _blocked;
    private long _maxLatenessTicks;
    private int _lastCause;
    private int _consecutiveFailures;

    public long Failed => Interlocked.Read(ref _failed);

    public long Skipped => Interlocked.Read(ref _skipped);

    public long Delayed => Interlocked.Read(ref _delayed);

    public long Blocked => Interlocked.Read(ref _blocked);

    /// <summary>Gets the largest lateness beyond what a slot's microsecond counter holds.</summary>
    public TimeSpan MaxLateness => TimeSpan.FromTicks(Interlocked.Read(ref _maxLatenessTicks));

    public HeartbeatDelayCause LastCause => (HeartbeatDelayCause)Volatile.Read(ref _lastCause);

    public int AddFailure()
    {
        Interlocked.Increment(ref _failed);
        return Interlocked.Increment(ref _consecutiveFailures);
    }

    public void ResetFailures() => Volatile.Write(ref _consecutiveFailures, 0);

    public void AddSkipped(long count) => Interlocked.Add(ref _skipped, count);

    public void AddDelayed(HeartbeatDelayCause cause)
    {
        Interlocked.Increment(ref _delayed);
        Volatile.Write(ref _lastCause, (int)cause);
    }

    public void AddBlocked() => Interlocked.Increment(ref _blocked);

    public void RaiseMaxLateness(TimeSpan lateness) => InterlockedMax.Raise(ref _maxLatenessTicks, lateness.Ticks);
}

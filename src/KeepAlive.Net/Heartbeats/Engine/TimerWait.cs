namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// How a scheduler thread sleeps until a timestamp of its clock: precisely, without spinning, and woken early by
/// <see cref="Wake"/>. A wake is never lost: one that comes before the wait makes the wait return at once. <see cref="Create"/>
/// picks the best one: a futex on Linux, a millisecond event wait elsewhere, the clock's own timer for a custom clock.
/// </summary>
internal abstract class TimerWait : IDisposable
{
    /// <summary>Creates the wait for <paramref name="clock"/>.</summary>
    public static TimerWait Create(TimeProvider clock) =>
        clock != TimeProvider.System ? new ClockTimerWait(clock) : FutexTimerWait.TryCreate() ?? (TimerWait)new PortableTimerWait();

    /// <summary>Gets a short name for docs and diagnostics.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Blocks until the clock reaches <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: until woken) or
    /// <see cref="Wake"/> is called. May return early; the caller checks the clock and waits again.
    /// </summary>
    public abstract void WaitUntil(long timestamp);

    /// <summary>Makes the current or the next wait return at once (wakes every waiter).</summary>
    public abstract void Wake();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the wait's handles.</summary>
    protected abstract void Dispose(bool disposing);
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// How the timer thread sleeps until a timestamp of its clock: precisely, without spinning, and woken early by
/// <see cref="Wake"/> when a new registration or completion needs it sooner. <see cref="Create"/> picks the
/// best one: timerfd on Linux, a millisecond event wait elsewhere, the clock's own timer for a custom clock.
/// </summary>
internal abstract class TimerWait : IDisposable
{
    /// <summary>Creates the wait for <paramref name="timeProvider"/>.</summary>
    public static TimerWait Create(TimeProvider timeProvider)
    {
        if (timeProvider != TimeProvider.System)
        {
            return new ClockTimerWait(timeProvider);
        }

        return LinuxTimerWait.TryCreate() ?? (TimerWait)new PortableTimerWait();
    }

    /// <summary>Gets a short name for docs and diagnostics.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Blocks until the clock reaches <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: until woken) or
    /// <see cref="Wake"/> is called. May return early; the caller checks the clock and waits again.
    /// </summary>
    public abstract void WaitUntil(long now, long timestamp);

    /// <summary>Makes the current or the next <see cref="WaitUntil"/> return at once.</summary>
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

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
        clock != TimeProvider.System ? new ClockWait(clock) : FutexTimerWait.TryCreate() ?? (TimerWait)new EventWait();

    /// <summary>Gets a short name for docs and diagnostics.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Blocks until the clock reaches <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: until woken) or
    /// <see cref="Wake"/> is called. May return early; the caller checks the clock and waits again.
    /// </summary>
    public abstract void WaitUntil(long timestamp);

    /// <summary>Makes the current or the next wait return at once (wakes every waiter).</summary>
    public abstract void Wake();

    /// <summary>Releases the wait's handles (the last thread to leave does it).</summary>
    public abstract void Dispose();

    /// <summary>
    /// Where no precise kernel timer is used: an event wait in whole milliseconds, rounded down so it wakes at or before the
    /// due time; the thread then fires everything due on its first check at or after it.
    /// </summary>
    private sealed class EventWait : TimerWait
    {
        private readonly AutoResetEvent _wake = new(false);

        public override string Kind => "event wait (1 ms resolution)";

        public override void WaitUntil(long timestamp)
        {
            if (timestamp == long.MaxValue)
            {
                _wake.WaitOne();
                return;
            }

            var remaining = TimeProvider.System.GetElapsedTime(TimeProvider.System.GetTimestamp(), timestamp);
            _wake.WaitOne(TimeSpan.FromMilliseconds(Math.Clamp((long)remaining.TotalMilliseconds, 1, int.MaxValue - 1)));
        }

        public override void Wake() => _wake.Set();

        public override void Dispose() => _wake.Dispose();
    }

    /// <summary>
    /// For a custom <see cref="TimeProvider"/> (FakeTimeProvider in tests): its own timer wakes the thread when the clock
    /// reaches the due time. The timer's due time is relative to the clock when it is set, so it is set again until the clock
    /// did not move meanwhile.
    /// </summary>
    private sealed class ClockWait : TimerWait
    {
        private readonly TimeProvider _clock;
        private readonly ManualResetEventSlim _wake = new(false);
        private readonly ITimer _timer;

        public ClockWait(TimeProvider clock)
        {
            _clock = clock;
            _timer = clock.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public override string Kind => "the custom clock's timer";

        public override void WaitUntil(long timestamp)
        {
            var now = _clock.GetTimestamp();
            while (timestamp != long.MaxValue && !_wake.IsSet)
            {
                if (now >= timestamp)
                {
                    return;
                }

                _timer.Change(_clock.GetElapsedTime(now, timestamp), Timeout.InfiniteTimeSpan);
                var after = _clock.GetTimestamp();
                if (after == now)
                {
                    break;
                }

                now = after;
            }

            if (timestamp == long.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            _wake.Wait();
            _wake.Reset();
        }

        public override void Wake() => _wake.Set();

        public override void Dispose()
        {
            _timer.Dispose();
            _wake.Dispose();
        }
    }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The wait for a custom <see cref="TimeProvider"/> (FakeTimeProvider in tests): its own timer wakes the thread when the
/// clock reaches the due time. The timer's due time is relative to the clock when it is set, so it is set again until the
/// clock did not move meanwhile.
/// </summary>
internal sealed class ClockTimerWait : TimerWait
{
    private readonly TimeProvider _clock;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ITimer _timer;

    public ClockTimerWait(TimeProvider clock)
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

    protected override void Dispose(bool disposing)
    {
        _timer.Dispose();
        _wake.Dispose();
    }
}

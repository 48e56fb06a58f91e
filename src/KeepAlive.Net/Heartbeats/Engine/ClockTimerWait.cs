namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The wait for a custom <see cref="TimeProvider"/> (FakeTimeProvider in tests): its own timer wakes the thread
/// when the clock reaches the due time. The timer's due time is relative to the clock when it is set, so it is set
/// again until the clock did not move meanwhile.
/// </summary>
internal sealed class ClockTimerWait : TimerWait
{
    private readonly TimeProvider _timeProvider;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ITimer _timer;

    public ClockTimerWait(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _timer = timeProvider.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public override string Kind => "the custom clock's timer";

    public override void WaitUntil(long now, long timestamp)
    {
        while (timestamp != long.MaxValue)
        {
            if (now >= timestamp)
            {
                _wake.Reset();
                return;
            }

            _timer.Change(_timeProvider.GetElapsedTime(now, timestamp), Timeout.InfiniteTimeSpan);
            var after = _timeProvider.GetTimestamp();
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

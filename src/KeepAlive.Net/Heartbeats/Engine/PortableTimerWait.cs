namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The wait where no precise kernel timer is used: an event wait in whole milliseconds, rounded down so it wakes
/// at or before the due time; the timer thread then fires everything due on its first check at or after it.
/// </summary>
internal sealed class PortableTimerWait : TimerWait
{
    private readonly AutoResetEvent _wake = new(false);

    public override string Kind => "event wait (1 ms resolution)";

    public override void WaitUntil(long now, long timestamp)
    {
        if (timestamp == long.MaxValue)
        {
            _wake.WaitOne();
            return;
        }

        var remaining = TimeProvider.System.GetElapsedTime(now, timestamp);
        var milliseconds = Math.Max(1, (long)remaining.TotalMilliseconds);
        _wake.WaitOne(TimeSpan.FromMilliseconds(Math.Min(milliseconds, int.MaxValue - 1)));
    }

    public override void Wake() => _wake.Set();

    protected override void Dispose(bool disposing) => _wake.Dispose();
}

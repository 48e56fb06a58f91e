namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The wait where no precise kernel timer is used: an event wait in whole milliseconds, rounded down so it wakes at or
/// before the due time; the thread then fires everything due on its first check at or after it.
/// </summary>
internal sealed class PortableTimerWait : TimerWait
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

    protected override void Dispose(bool disposing) => _wake.Dispose();
}

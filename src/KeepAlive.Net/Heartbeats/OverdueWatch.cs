namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The thread behind <see cref="DriftMonitor.WatchForOverdue"/>. It sleeps until the application's next heartbeat is late
/// (the last recorded heartbeat, plus the interval, plus the lateness from which a heartbeat is delayed) and, if no newer one
/// was recorded by then, has the monitor warn once for that stall. Its own thread, not a timer: a timer's callback waits in
/// the thread pool's queue, which is what delays the application's heartbeat in the first place. At rest it wakes once per
/// interval, at each deadline; it never polls.
/// </summary>
internal sealed class OverdueWatch : IDisposable
{
    private readonly ManualResetEventSlim _stop = new(); // waited on with Monitor only: no kernel handle, so it is never disposed
    private readonly Func<long> _lastDue;
    private readonly Action<long, long> _warn;
    private readonly Action<OverdueWatch> _ended;
    private readonly long _lateTicks;
    private readonly TimeSpan _interval;
    private int _disposed;

    /// <param name="name">The heartbeat's name, in the thread's.</param>
    /// <param name="lastDue">When the last recorded heartbeat was due, or sent when that was later (system clock), 0 before the first.</param>
    /// <param name="interval">The heartbeat's interval: a heartbeat is expected that long after the last one was due.</param>
    /// <param name="lateFrom">How late an expected heartbeat may be before it is overdue.</param>
    /// <param name="warn">Says a stall: the last recorded heartbeat (as <paramref name="lastDue"/> gave it), and now.</param>
    /// <param name="ended">Told once when the watch is disposed.</param>
    public OverdueWatch(string name, Func<long> lastDue, TimeSpan interval, TimeSpan lateFrom, Action<long, long> warn, Action<OverdueWatch> ended)
    {
        (_lastDue, _interval, _warn, _ended) = (lastDue, interval, warn, ended);
        _lateTicks = SchedulePolicy.Ticks(interval + lateFrom, TimeProvider.System);
        new Thread(Run) { IsBackground = true, Name = "KeepAlive.Net overdue watch " + name, Priority = ThreadPriority.AboveNormal }.UnsafeStart();
    }

    /// <summary>Stops the thread (it ends at its next wake, which this signal brings at once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Set();
            _ended(this);
        }
    }

    private void Run()
    {
        long warnedFor = 0; // the last heartbeat whose missing successor was said: one warning per stall
        while (!_stop.IsSet)
        {
            var lastDue = _lastDue();
            var now = TimeProvider.System.GetTimestamp();
            var deadline = lastDue + _lateTicks;
            if (lastDue != 0 && now < deadline)
            {
                _stop.Wait(TimeProvider.System.GetElapsedTime(now, deadline));
                continue;
            }

            if (lastDue != 0 && warnedFor != lastDue)
            {
                warnedFor = lastDue;
                _warn(lastDue, now);
            }

            // Before the first record, or still overdue: look again an interval later (a record moves the deadline).
            _stop.Wait(_interval);
        }
    }
}

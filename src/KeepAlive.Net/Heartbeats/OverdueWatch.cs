namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The thread behind <see cref="DriftMonitor.WatchForOverdue"/>. It sleeps until the application's next heartbeat is late
/// (when the monitor expects it, plus the lateness from which a heartbeat is delayed) and, if the monitor still expects it
/// then, has the monitor warn once for that stall. Its own thread, not a timer: a timer's callback waits in
/// the thread pool's queue, which is what delays the application's heartbeat in the first place. At rest it wakes once per
/// interval, at each deadline; it never polls.
/// </summary>
internal sealed class OverdueWatch : IDisposable
{
    private readonly ManualResetEventSlim _stop = new(); // waited on with Monitor only: no kernel handle, so it is never disposed
    private readonly Func<long> _expected;
    private readonly Action<long, long> _warn;
    private readonly Action<OverdueWatch> _ended;
    private readonly long _lateTicks;
    private readonly TimeSpan _interval;
    private int _disposed;

    /// <param name="name">The heartbeat's name, in the thread's.</param>
    /// <param name="expected">When the next heartbeat is expected (system clock), 0 while none is.</param>
    /// <param name="interval">The heartbeat's interval: how long to wait before looking again while none is expected, or one is still overdue.</param>
    /// <param name="lateFrom">How late an expected heartbeat may be before it is overdue.</param>
    /// <param name="warn">Says a stall: when the heartbeat was expected (as <paramref name="expected"/> gave it), and now.</param>
    /// <param name="ended">Told once when the watch is disposed.</param>
    public OverdueWatch(string name, Func<long> expected, TimeSpan interval, TimeSpan lateFrom, Action<long, long> warn, Action<OverdueWatch> ended)
    {
        (_expected, _interval, _warn, _ended) = (expected, interval, warn, ended);
        _lateTicks = SchedulePolicy.Ticks(lateFrom, TimeProvider.System);
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
        long warnedFor = 0; // the expected heartbeat whose absence was said: one warning per stall
        while (!_stop.IsSet)
        {
            var expected = _expected();
            var now = TimeProvider.System.GetTimestamp();
            var deadline = expected + _lateTicks;
            if (expected != 0 && now < deadline)
            {
                _stop.Wait(TimeProvider.System.GetElapsedTime(now, deadline));
                continue;
            }

            if (expected != 0 && warnedFor != expected)
            {
                warnedFor = expected;
                _warn(expected, now);
            }

            // None expected yet, or still overdue: look again an interval later (a record or an activity moves the deadline).
            _stop.Wait(_interval);
        }
    }
}

using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>The timer thread: pops due nodes from the heap and hands them to the dispatchers.</summary>
public sealed partial class HeartbeatScheduler
{
    private static readonly TimeSpan SpinWindow = TimeSpan.FromMilliseconds(1.5);
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly List<(HeartbeatRegistration Registration, bool IsPeerDead)> _due = [];
    private Thread? _timerThread;
    private ITimer? _providerTimer;
    private volatile bool _stopTimer;

    /// <summary>Processes everything due now on the calling thread (the test hook of a scheduler without threads).</summary>
    /// <returns>How many heartbeats and peer-dead events were started.</returns>
    internal int RunDue()
    {
        var now = TimeProvider.GetTimestamp();
        CollectDue(now);
        var count = _due.Count;
        foreach (var (registration, isPeerDead) in _due)
        {
            Execute(new WorkItem(registration, isPeerDead, now, 0));
        }

        _due.Clear();
        return count;
    }

    private void StartTimerThread()
    {
        if (TimeProvider != TimeProvider.System)
        {
            _providerTimer = TimeProvider.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        _timerThread = new Thread(RunTimer) { IsBackground = true, Name = "KeepAlive.Net heartbeat timer", Priority = ThreadPriority.AboveNormal };
        _timerThread.Start();
    }

    private void StopTimerThread()
    {
        _stopTimer = true;
        _wake.Set();
        if (_timerThread is not null && _timerThread != Thread.CurrentThread)
        {
            _timerThread.Join(TimeSpan.FromSeconds(2));
        }

        _providerTimer?.Dispose();
    }

    private void Wake() => _wake.Set();

    private void RunTimer()
    {
        while (!_stopTimer)
        {
            _wake.Reset();
            var now = TimeProvider.GetTimestamp();
            var next = CollectDue(now);
            if (_due.Count > 0)
            {
                foreach (var (registration, isPeerDead) in _due)
                {
                    _pool!.Enqueue(registration, isPeerDead, now);
                }

                _due.Clear();
                continue;
            }

            WaitUntil(now, next);
        }
    }

    /// <summary>Pops every node due at <paramref name="now"/> into <see cref="_due"/>; returns the next due time.</summary>
    private long CollectDue(long now)
    {
        lock (_heapLock)
        {
            while (_heap.Peek() is { } top && top.Due <= now)
            {
                _heap.Pop();
                if (top is BeatTimer beat)
                {
                    CollectBeat(beat.Owner, now);
                }
                else
                {
                    CollectLiveness(((LivenessTimer)top).Owner, now);
                }
            }

            return _heap.Peek()?.Due ?? long.MaxValue;
        }
    }

    private void CollectBeat(HeartbeatRegistration registration, long now)
    {
        if (registration.Mode == HeartbeatMode.WhenIdle)
        {
            // MarkActivity only writes a timestamp; the postponement happens here, lazily, at most once per interval.
            var idleDue = registration.LastActivity + registration.Interval;
            if (idleDue > now)
            {
                registration.Nominal = idleDue;
                registration.Due = idleDue + NextJitter(registration);
                _heap.Insert(registration.Beat, registration.Due);
                return;
            }
        }

        if (Interlocked.CompareExchange(ref registration.State, RegistrationState.Queued, RegistrationState.Scheduled) == RegistrationState.Scheduled)
        {
            _due.Add((registration, false));
        }
    }

    private void CollectLiveness(HeartbeatRegistration registration, long now)
    {
        if (Volatile.Read(ref registration.State) == RegistrationState.Disposed)
        {
            return;
        }

        var deadline = registration.LastPeerActivity + registration.TimeoutTicks;
        if (deadline > now)
        {
            _heap.Insert(registration.Liveness!, deadline);
            return;
        }

        _due.Add((registration, true));
    }

    private void WaitUntil(long now, long due)
    {
        if (_providerTimer is not null)
        {
            // A custom clock (FakeTimeProvider in tests): wait for its timer, which fires when the clock reaches the due time.
            // The timer's due time is relative to the clock when it is set, so set it again until the clock did not move meanwhile.
            while (due != long.MaxValue)
            {
                if (now >= due)
                {
                    return;
                }

                _providerTimer.Change(TimeProvider.GetElapsedTime(now, due), Timeout.InfiniteTimeSpan);
                var after = TimeProvider.GetTimestamp();
                if (after == now)
                {
                    break;
                }

                now = after;
            }

            if (due == long.MaxValue)
            {
                _providerTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            _wake.Wait();
            return;
        }

        if (due == long.MaxValue)
        {
            _wake.Wait();
            return;
        }

        var remaining = TimeProvider.GetElapsedTime(now, due);
        if (remaining > SpinWindow)
        {
            // Sleep until shortly before the due time; the kernel may wake us a little late, never early enough to matter.
            _wake.Wait(remaining - SpinWindow + TimeSpan.FromMilliseconds(0.5));
            return;
        }

        // The last stretch: yield until the due time, so the heartbeat neither starts early nor oversleeps.
        while (!_stopTimer && !_wake.IsSet && TimeProvider.GetTimestamp() < due)
        {
            Thread.Yield();
        }
    }
}

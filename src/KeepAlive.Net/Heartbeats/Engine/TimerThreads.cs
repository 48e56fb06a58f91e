using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The scheduler's threads. One owner thread runs the <see cref="TimerLoop"/> and every callback inline, like Kestrel's
/// heartbeat: a heartbeat due costs a queue pop, the callback and a queue push on one thread, with nothing handed
/// between threads. A standby thread sleeps on a timer the owner arms when a batch starts and disarms when it ends, so
/// with nothing running it never wakes. If the owner is still in one callback past that heartbeat's blocked threshold,
/// the standby reports it, takes the turn over (the loop and the rest of the batch) and becomes the owner; the stuck
/// thread becomes a standby when its callback returns, or ends if there are enough. When a batch is long, the standby
/// also helps: it runs unclaimed items of it in parallel once <see cref="HeartbeatSchedulerOptions.OverloadQueueLength"/>
/// of them wait and the batch has run 10 ms.
/// </summary>
internal sealed class TimerThreads : IDisposable
{
    private static readonly TimeSpan HelpAfter = TimeSpan.FromMilliseconds(10);

    [ThreadStatic]
    private static bool t_isSchedulerThread;

    private readonly TimerLoop _loop;
    private readonly BeatRunner _runner;
    private readonly SlotTable _slots;
    private readonly Inbox _inbox;
    private readonly TimerWait _wait;
    private readonly TimerWait _watch;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _standbyTarget;
    private readonly int _maxThreads;
    private readonly int _overload;
    private readonly long _helpAfter;
    private readonly long _coalescing;
    private readonly Lock _lock = new();
    private Turn _turn = new();
    private int _threads;
    private int _standbys;
    private int _started;
    private int _owning;
    private long _watchArmed;
    private volatile bool _stopping;

    public TimerThreads(TimerLoop loop, BeatRunner runner, SlotTable slots, Inbox inbox, TimerWait wait, TimeProvider timeProvider, ILogger logger, HeartbeatSchedulerOptions options)
    {
        _loop = loop;
        _runner = runner;
        _slots = slots;
        _inbox = inbox;
        _wait = wait;
        _watch = TimerWait.Create(timeProvider);
        _timeProvider = timeProvider;
        _logger = logger;
        _standbyTarget = options.DispatcherThreadCount;
        _maxThreads = Math.Max(options.DispatcherThreadCount, options.MaxDispatcherThreadCount) + 1;
        _overload = options.OverloadQueueLength;
        _helpAfter = TimestampTicks.From(HelpAfter, timeProvider);
        _coalescing = TimestampTicks.From(TimerLoop.CoalescingWindow, timeProvider);
        lock (_lock)
        {
            StartThread(owner: true);
            for (var i = 0; i < _standbyTarget; i++)
            {
                StartThread(owner: false);
            }
        }
    }

    /// <summary>Stops the threads. The waits are released by the last thread to leave, never under one still using them.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wait.Wake();
        _watch.Wake();
        var until = TimeProvider.System.GetTimestamp() + (2 * System.Diagnostics.Stopwatch.Frequency);
        while (Volatile.Read(ref _owning) != 0 && TimeProvider.System.GetTimestamp() < until && !t_isSchedulerThread)
        {
            Thread.Sleep(1);
        }
    }

    private void StartThread(bool owner)
    {
        _threads++;
        _standbys += owner ? 0 : 1;
        var name = "KeepAlive.Net heartbeat " + (owner ? "timer" : "standby " + (++_started));
        new Thread(() => Run(owner ? _turn : null)) { IsBackground = true, Name = name, Priority = ThreadPriority.AboveNormal }.UnsafeStart();
    }

    private void Run(Turn? turn)
    {
        t_isSchedulerThread = true; // Dispose from a callback must not wait for its own thread
        try
        {
            while (!_stopping)
            {
                if (turn is null)
                {
                    turn = Watch();
                    continue;
                }

                Own(turn);
                turn = null;
                lock (_lock)
                {
                    // Taken over while stuck in a callback: stand by again, unless enough threads already do.
                    if (_standbys >= _standbyTarget && !_stopping)
                    {
                        return;
                    }

                    _standbys++;
                }
            }

            _watch.Wake(); // pass the stop on to the next standby
        }
        finally
        {
            Leave();
        }
    }

    private void Leave()
    {
        bool last;
        lock (_lock)
        {
            last = --_threads == 0 && _stopping;
        }

        if (last)
        {
            _watch.Dispose();
            _wait.Dispose();
        }
    }

    /// <summary>Runs the timer loop until stopped, or until a standby takes the turn over.</summary>
    private void Own(Turn turn)
    {
        Interlocked.Increment(ref _owning);
        try
        {
            if (turn.Batch.Count > 0 && !RunBatch(turn, _timeProvider.GetTimestamp()))
            {
                return;
            }

            var planned = long.MaxValue;
            while (!_stopping)
            {
                var now = _timeProvider.GetTimestamp();
                _inbox.PlanWake(long.MinValue);
                var next = _loop.Step(now, planned, turn.Batch);
                if (turn.Batch.Count > 0)
                {
                    if (!RunBatch(turn, now))
                    {
                        return;
                    }

                    planned = long.MaxValue;
                    continue; // pick up what came due while the batch ran
                }

                planned = next == long.MaxValue ? next : Math.Max(next, now + _coalescing);
                _inbox.PlanWake(planned);
                if (_inbox.IsEmpty && !_stopping)
                {
                    _wait.WaitUntil(_timeProvider.GetTimestamp(), planned);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _owning);
        }
    }

    /// <summary>Runs a batch inline; false when a standby took the turn over meanwhile.</summary>
    private bool RunBatch(Turn turn, long now)
    {
        turn.Load(now);
        if (Volatile.Read(ref _watchArmed) <= now)
        {
            // The standby's alarm: armed when a batch starts and the last alarm has passed, so in a dense schedule it rings
            // once per 10 ms at most, and after the last batch once more, finding nothing running.
            var alarm = now + Math.Min(_helpAfter, _slots.SettingsOf(_slots[turn.Items[0].Slot]).BlockedTicks);
            Volatile.Write(ref _watchArmed, alarm);
            _watch.Arm(alarm);
        }

        var index = 0;
        var end = 0;
        long ended = 0;
        while (!_stopping)
        {
            if (index == end)
            {
                var claimed = Interlocked.Add(ref turn.Next, Turn.OwnerChunk);
                index = claimed - Turn.OwnerChunk;
                if (index >= turn.Count)
                {
                    break;
                }

                end = Math.Min(claimed, turn.Count);
                Volatile.Write(ref turn.ChunkEnd, end);
            }

            ref readonly var item = ref turn.Items[index];
            // A heartbeat that completed inline ended when this one starts: one clock read per heartbeat, not two.
            var start = ended > 0 ? ended : Math.Max(1, _timeProvider.GetTimestamp());
            Volatile.Write(ref turn.CurrentIndex, index);
            Volatile.Write(ref turn.CurrentSlot, item.Slot);
            Volatile.Write(ref turn.CurrentStart, start);
            ended = _runner.Run(item, turn.Posts, start);
            if (Interlocked.CompareExchange(ref turn.CurrentStart, 0, start) != start)
            {
                foreach (var (slot, key) in turn.Posts)
                {
                    _inbox.Schedule(slot, key); // taken over meanwhile: the new owner has the queue
                }

                turn.Posts.Clear();
                return false;
            }

            _loop.PushLocal(turn.Posts);
            index++;
        }

        Volatile.Write(ref turn.BatchStart, 0);
        return true;
    }

    /// <summary>The standby's loop: sleeps while nothing runs; returns a new turn when it took one over.</summary>
    private Turn? Watch()
    {
        var posts = new List<(int Slot, long Key)>();
        while (!_stopping)
        {
            var turn = Volatile.Read(ref _turn);
            var batchStart = Volatile.Read(ref turn.BatchStart);
            if (batchStart == 0)
            {
                Interlocked.Exchange(ref _watchArmed, 0); // no alarm pending: the owner sets one when its next batch starts (full fence)
                if (Volatile.Read(ref turn.BatchStart) == 0)
                {
                    _watch.Wait();
                }

                continue;
            }

            var now = _timeProvider.GetTimestamp();
            var start = Volatile.Read(ref turn.CurrentStart);
            var slot = Volatile.Read(ref turn.CurrentSlot);
            var deadline = long.MaxValue;
            if (start > 0 && slot >= 0)
            {
                deadline = start + _slots.SettingsOf(_slots[slot]).BlockedTicks;
                if (now >= deadline)
                {
                    if (Interlocked.CompareExchange(ref turn.CurrentStart, Turn.Taken, start) == start)
                    {
                        return TakeOver(turn, slot, start);
                    }

                    continue;
                }
            }

            if (now - batchStart >= _helpAfter && turn.Count - Volatile.Read(ref turn.Next) >= _overload)
            {
                Help(turn, posts);
                continue;
            }

            var alarm = Math.Min(deadline, now + _helpAfter);
            Volatile.Write(ref _watchArmed, alarm);
            _watch.Arm(alarm);
            _watch.Wait();
        }

        return null;
    }

    private Turn TakeOver(Turn stuck, int slot, long start)
    {
        var turn = new Turn();
        int threads;
        lock (_lock)
        {
            _standbys--;
            Volatile.Write(ref _turn, turn);
            if (_standbys < _standbyTarget && _threads < _maxThreads)
            {
                StartThread(owner: false); // someone must watch the new owner
            }

            threads = _threads;
        }

        SlotState.Update(ref _slots[slot].State, SlotState.BlockedReported, 0);
        turn.Batch.Add(new WorkItem(slot, WorkKind.Blocked, HeartbeatDelayCause.None, start, 0));
        var claimed = Interlocked.Exchange(ref stuck.Next, int.MaxValue / 2);
        for (var i = Volatile.Read(ref stuck.CurrentIndex) + 1; i < Volatile.Read(ref stuck.ChunkEnd); i++)
        {
            turn.Batch.Add(stuck.Items[i]); // the rest of the stuck owner's chunk
        }

        for (var i = claimed; i < stuck.Count; i++)
        {
            turn.Batch.Add(stuck.Items[i]);
        }

        Log.HeartbeatDispatcherAdded(_logger, 1, turn.Batch.Count - 1, threads);
        return turn;
    }

    /// <summary>Runs unclaimed items of a long batch beside the owner; their next keys go to the inbox together, one lock per chunk.</summary>
    private void Help(Turn turn, List<(int Slot, long Key)> posts)
    {
        const int PostChunk = 256;
        int index;
        while ((index = Interlocked.Increment(ref turn.Next) - 1) < turn.Count && !_stopping)
        {
            _runner.Run(turn.Items[index], posts);
            if (posts.Count >= PostChunk)
            {
                _inbox.ScheduleAll(posts);
            }
        }

        _inbox.ScheduleAll(posts);
    }
}

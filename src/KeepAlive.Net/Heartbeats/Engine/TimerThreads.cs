using System.Runtime.CompilerServices;
using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The scheduler's threads. The owner runs the <see cref="TimerLoop"/> and every callback inline, like Kestrel's heartbeat.
/// Standbys sleep on a <see cref="StandbyAlarm"/> the owner keeps a takeover threshold ahead of its batches: a standby takes
/// the turn over from an owner stuck in one callback while others wait (the stuck thread stands by when it returns, or
/// ends), and helps with a long batch (rule 10 of <see cref="SchedulePolicy"/>).
/// </summary>
/// <remarks>
/// The loop (its queue and <see cref="SchedulePolicy"/> state) belongs to the thread whose turn is <see cref="_turn"/> and
/// passes only through the compare-and-swap on <see cref="Turn.CurrentStart"/>. <see cref="_lock"/> guards the thread counts
/// and the current turn; no user code runs under it.
/// </remarks>
internal sealed class TimerThreads : IDisposable
{
    /// <summary>The owner gives back a past burst's batch room only before a sleep at least this long (see <see cref="BurstRoom"/>).</summary>
    public static readonly TimeSpan QuietSleep = TimeSpan.FromMilliseconds(100);

    private readonly TimerLoop _loop;
    private readonly BeatRunner _runner;
    private readonly SlotTable _slots;
    private readonly Inbox _inbox;
    private readonly TimerWait _wait;
    private readonly StandbyAlarm _alarm;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly int _standbyTarget;
    private readonly int _maxThreads;
    private readonly long _takeover;
    private readonly long _quietSleep;
    private readonly Lock _lock = new();
    private Turn _turn = new();
    private int _threads;
    private int _standbys;
    private int _started;
    private volatile bool _stopping;

    public TimerThreads(TimerLoop loop, BeatRunner runner, SlotTable slots, Inbox inbox, TimerWait wait, TimeProvider clock, ILogger logger, HeartbeatSchedulerOptions options)
    {
        _loop = loop;
        _runner = runner;
        _slots = slots;
        _inbox = inbox;
        _wait = wait;
        _alarm = new StandbyAlarm(clock);
        _clock = clock;
        _logger = logger;
        _standbyTarget = options.StandbyThreadCount;
        _maxThreads = Math.Max(options.StandbyThreadCount, options.MaxStandbyThreadCount) + 1;
        _takeover = SchedulePolicy.Ticks(options.TakeoverThreshold, clock);
        _quietSleep = SchedulePolicy.Ticks(QuietSleep, clock);
        lock (_lock)
        {
            StartThread(owner: true);
            for (var i = 0; i < _standbyTarget; i++)
            {
                StartThread(owner: false);
            }
        }
    }

    /// <summary>Signals the threads to stop and returns at once (as Kestrel's heartbeat does); the last thread to leave releases the waits.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wait.Wake();
        _alarm.Ring();
    }

    private void StartThread(bool owner)
    {
        _threads++;
        _standbys += owner ? 0 : 1;
        var name = "KeepAlive.Net heartbeat " + (owner ? "timer" : "standby " + (++_started));
        new Thread(() => Run(owner ? _turn : null)) { IsBackground = true, Name = name, Priority = ThreadPriority.AboveNormal }.UnsafeStart();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(Turn? turn)
    {
        var keys = new List<(int Slot, long Key)>();
        try
        {
            while (!_stopping)
            {
                if (turn is null)
                {
                    turn = Watch(keys);
                    continue;
                }

                Own(turn, keys);
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

            _alarm.Ring(); // pass the stop on to the next standby
        }
        finally
        {
            bool last;
            lock (_lock)
            {
                last = --_threads == 0 && _stopping;
            }

            if (last)
            {
                _alarm.Dispose();
                _wait.Dispose();
            }
        }
    }

    /// <summary>The owner's side: runs the timer loop until stopped, or until a standby takes the turn over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Own(Turn turn, List<(int Slot, long Key)> keys)
    {
        var batch = new List<WorkItem>();
        if (turn.Count > 0 && !RunBatch(turn, _clock.GetTimestamp(), keys))
        {
            return; // a turn taken over starts with the rest of the stuck owner's batch
        }

        var planned = long.MaxValue;
        while (!_stopping)
        {
            var now = _clock.GetTimestamp();
            _inbox.PlanWake(long.MinValue);
            var next = _loop.Step(now, planned, batch);
            if (batch.Count > 0)
            {
                Volatile.Write(ref turn.NextDue, next);
                turn.Load(batch);
                if (!RunBatch(turn, now, keys))
                {
                    return;
                }

                planned = long.MaxValue;
                continue; // pick up what came due while the batch ran
            }

            planned = SchedulePolicy.WakeAt(now, next, _slots.MinToleranceTicks);
            if (_alarm.At is var at && at > now && at <= planned)
            {
                _alarm.Set(long.MaxValue, now); // nothing of the owner's runs while it sleeps: no standby needs to look
            }

            if (planned - now >= _quietSleep && turn.HasBurstRoom(batch))
            {
                // Going quiet: give back a burst's room (not between the batches of a steady load, which would allocate it again).
                turn.Load(batch);
            }

            _inbox.PlanWake(planned);
            if (_inbox.IsEmpty && !_stopping)
            {
                _wait.WaitUntil(planned);
            }
        }
    }

    /// <summary>Publishes and runs the turn's loaded batch inline; false when a standby took the turn over meanwhile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool RunBatch(Turn turn, long now, List<(int Slot, long Key)> keys)
    {
        Interlocked.Exchange(ref turn.BatchStart, now); // a full fence: a standby checks it after clearing its alarm
        var helpCalled = CallStandby(turn, now);
        var index = 0;
        var end = 0;
        var ran = 0;
        long ended = 0, first = 0;
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
            var start = ended > 0 ? ended : Math.Max(1, _clock.GetTimestamp());
            first = first == 0 ? start : first;
            if (!helpCalled && _loop.Policy.RanPastHelpBudget(now, start) && Volatile.Read(ref turn.Next) < turn.Count)
            {
                // The batch took longer than estimated (a first call, a slow callback): what waits is shared from now on.
                helpCalled = true;
                _alarm.Ring();
            }

            Volatile.Write(ref turn.CurrentIndex, index);
            Volatile.Write(ref turn.CurrentStart, start);
            ended = _runner.Run(item, keys, start);
            if (Interlocked.CompareExchange(ref turn.CurrentStart, 0, start) != start)
            {
                _inbox.Post(keys); // taken over meanwhile: the loop is another thread's now
                return false;
            }

            _loop.Push(keys);
            index++;
            ran++;
        }

        Volatile.Write(ref turn.BatchStart, 0);
        _loop.Policy.RecordBatch(ran, first == 0 ? 0 : _clock.GetTimestamp() - first); // the heartbeats' own time: not the step's, which pops and places many more keys than it runs
        return true;
    }

    /// <summary>
    /// Lets a standby cover for this batch and returns whether help was called: rings at once for a batch too long for one
    /// thread, else moves the alarm to the batch's takeover time when it is later than that or within half of it (so a
    /// healthy, dense schedule sets it once per half threshold and it never rings).
    /// </summary>
    private bool CallStandby(Turn turn, long now)
    {
        if (_loop.Policy.NeedsHelp(turn.Count))
        {
            _alarm.Ring();
            return true;
        }

        var takeover = now + TakeoverAfter(turn.Items[0].Slot);
        if (_alarm.At is var at && (at > takeover || (at > now && at - now < (takeover - now) / 2)))
        {
            _alarm.Set(takeover, now);
        }

        return false;
    }

    /// <summary>How long a slot's callback may hold the owner: the scheduler's threshold, or the registration's blocked threshold when that is shorter.</summary>
    private long TakeoverAfter(int slot) => Math.Min(_takeover, _slots.SettingsOf(_slots[slot]).BlockedTicks);

    /// <summary>The standby's side: sleeps while nothing runs, helps with a long batch; returns a new turn when it took one over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Turn? Watch(List<(int Slot, long Key)> keys)
    {
        while (!_stopping)
        {
            var turn = Volatile.Read(ref _turn);
            if (Volatile.Read(ref turn.BatchStart) == 0)
            {
                _alarm.Wait(_clock); // nothing runs: until the owner's next batch needs a look (it sets the alarm when it starts)
                continue;
            }

            var now = _clock.GetTimestamp();
            var alarm = now + _takeover;
            var start = Volatile.Read(ref turn.CurrentStart);
            if (start > 0)
            {
                var index = Volatile.Read(ref turn.CurrentIndex);
                var slot = turn.Items[index].Slot;
                var deadline = start + TakeoverAfter(slot);
                var blocked = start + _slots.SettingsOf(_slots[slot]).BlockedTicks;
                if (now < deadline)
                {
                    alarm = deadline;
                }
                else if (Waiting(turn, index) || Volatile.Read(ref turn.NextDue) <= now || now >= blocked || !_inbox.IsEmpty)
                {
                    // Something needs the loop: the rest of the batch, its next key, the stuck callback's own blocked report
                    // (and liveness), or what was posted while the owner is stuck (a registration made since, a send's next key).
                    if (Interlocked.CompareExchange(ref turn.CurrentStart, Turn.Taken, start) == start)
                    {
                        return TakeOver(turn, index, start, now, keys);
                    }

                    continue;
                }
                else
                {
                    // Stuck, but nothing waits for it yet. Posts do not wake a standby (the owner reads them after its batch),
                    // so it looks again a takeover threshold from now, until the loop's next key or the blocked report.
                    alarm = Math.Min(alarm, Math.Min(Volatile.Read(ref turn.NextDue), blocked));
                }
            }

            var waiting = Volatile.Read(ref turn.Count) - Volatile.Read(ref turn.Next);
            if (waiting > 0 && (_loop.Policy.NeedsHelp(waiting) || _loop.Policy.RanPastHelpBudget(Volatile.Read(ref turn.BatchStart), now)))
            {
                Help(turn, keys);
                continue;
            }

            if (alarm < _alarm.At)
            {
                _alarm.Set(alarm, now);
            }

            _alarm.Wait(_clock);
        }

        return null;
    }

    // Whether other items of the owner's batch wait behind its callback in progress.
    private static bool Waiting(Turn turn, int index) =>
        index + 1 < Volatile.Read(ref turn.ChunkEnd) || Volatile.Read(ref turn.Next) < turn.Count;

    // Makes this thread the owner (the compare-and-swap won): it watches the stuck callback and runs the rest of its batch.
    private Turn TakeOver(Turn stuck, int index, long start, long now, List<(int Slot, long Key)> keys)
    {
        var stuckSlot = stuck.Items[index].Slot;
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

        // The rest of the stuck owner's chunk, then what nobody claimed.
        var claimed = Math.Min(Interlocked.Exchange(ref stuck.Next, int.MaxValue / 2), stuck.Count);
        var chunkEnd = Volatile.Read(ref stuck.ChunkEnd);
        List<WorkItem> rest = [.. stuck.Items.AsSpan(index + 1, chunkEnd - index - 1), .. stuck.Items.AsSpan(claimed, stuck.Count - claimed)];

        turn.Load(rest); // published by the new owner's RunBatch
        _runner.WatchStuck(stuckSlot, start, keys);
        _loop.Push(keys);
        var name = _slots.SettingsOf(_slots[stuckSlot]).Name;
        Log.HeartbeatTimerTakenOver(_logger, name, _clock.GetElapsedTime(start, now).TotalMilliseconds, turn.Count, threads);
        return turn;
    }

    // Runs unclaimed items of a long batch beside the owner, posting each next key at once: nobody watches a helper, so a
    // later callback that blocks it must not hold other registrations' keys.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Help(Turn turn, List<(int Slot, long Key)> keys)
    {
        while (!_stopping && turn.TryClaimForHelper(out var item))
        {
            _runner.Run(item, keys);
            _inbox.Post(keys);
        }
    }
}

/// <summary>
/// One thread's turn as owner of the timer loop, shared with the standbys through atomics only: its batch and the callback it
/// is in. A standby takes the turn over with one compare-and-swap on <see cref="CurrentStart"/> and claims unstarted items.
/// </summary>
internal sealed class Turn
{
    public const long Taken = -1; // the CurrentStart of a turn a standby has taken over
    public const int OwnerChunk = 16; // how many items the owner claims with one atomic add

    public WorkItem[] Items = new WorkItem[64]; // the batch: written by the owner before it publishes BatchStart, then only read
    public int Count; // how many items the batch holds; written with Items

    public int Next; // the first unclaimed item: the owner adds OwnerChunk, a helper claims one by compare-and-swap, a taker moves it past the end
    public int Readers; // helpers between reading Count and copying their item; the owner reloads the batch only when none is

    // Written by the owner: the end of its claimed chunk; the index of its item in progress (before CurrentStart); when that
    // callback started (0 between callbacks, Taken once a standby took the turn); when the batch started (0 between
    // batches); the loop's next due key after this batch, for a standby's alarm.
    public int ChunkEnd, CurrentIndex;
    public long CurrentStart, BatchStart, NextDue = long.MaxValue;

    /// <summary>Makes <paramref name="batch"/> the batch to run (owner only; RunBatch publishes it); clears <paramref name="batch"/>.</summary>
    public void Load(List<WorkItem> batch)
    {
        // Close the old batch, wait for helpers still copying an item out of it, then reopen.
        Volatile.Write(ref Count, 0);
        var spin = default(SpinWait);
        while (Volatile.Read(ref Readers) != 0)
        {
            spin.SpinOnce();
        }

        if (Items.Length < batch.Count)
        {
            Items = new WorkItem[Math.Max(batch.Count, Items.Length * 2)];
        }
        else if (batch.Count == 0 && BurstRoom.Trimmed(Items.Length, 0) is var room && room < Items.Length)
        {
            Items = new WorkItem[room]; // an empty load gives back a burst's room (the owner does it when it goes quiet)
        }

        batch.CopyTo(Items);
        Volatile.Write(ref Next, 0);
        Volatile.Write(ref Count, batch.Count);
        batch.Clear();
        if (Count == 0)
        {
            BurstRoom.Trim(batch, 0);
        }
    }

    /// <summary>Whether the last batch left burst room to give back (checked by the owner before it sleeps).</summary>
    public bool HasBurstRoom(List<WorkItem> batch) =>
        BurstRoom.Trimmed(Items.Length, 0) < Items.Length || BurstRoom.Trimmed(batch.Capacity, 0) < batch.Capacity;

    /// <summary>Claims one item for a helper: false once the batch is exhausted, closed or taken over.</summary>
    public bool TryClaimForHelper(out WorkItem item)
    {
        Interlocked.Increment(ref Readers); // a full fence: the owner's Load waits for it
        try
        {
            while (true)
            {
                var count = Volatile.Read(ref Count);
                var next = Volatile.Read(ref Next);
                if (next >= count)
                {
                    item = default;
                    return false;
                }

                if (Interlocked.CompareExchange(ref Next, next + 1, next) == next)
                {
                    item = Items[next];
                    return true;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref Readers);
        }
    }
}

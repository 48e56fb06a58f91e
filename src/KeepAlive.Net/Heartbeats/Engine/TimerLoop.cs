namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer thread's work, one step per wake-up: take what other threads posted (new registrations, completed
/// sends, slots to free), pop every entry that is due, decide for each (send now, postpone after activity, declare
/// the peer dead, report a blocked send) and hand the batch to the dispatchers. It owns the <see cref="TimerQueue"/>
/// alone, so none of this takes a lock but the inbox's. Between steps the thread sleeps until the earliest of the
/// next due entry and the dispatchers' blocked-callback deadline, at least <see cref="CoalescingWindow"/> after
/// its last wake-up so that dense schedules are served in batches.
/// </summary>
internal sealed class TimerLoop
{
    /// <summary>
    /// The shortest sleep after a wake-up: heartbeats due within it wait for the next batch (at most this much late), which
    /// bounds wake-ups to 2,000 a second however many registrations there are.
    /// </summary>
    public static readonly TimeSpan CoalescingWindow = TimeSpan.FromMicroseconds(500);

    private static readonly TimeSpan LateForCause = TimeSpan.FromMilliseconds(1);
    private readonly SlotTable _slots;
    private readonly TimerQueue _queue = new();
    private readonly Inbox _inbox;
    private readonly TimeProvider _timeProvider;
    private readonly Func<int> _liveCount;
    private readonly long _lateForCause;
    private List<(int Slot, long Key)> _spare = [];
    private long _gcAtLastWake;
    private long _oversleep;
    private long _gcNow;
    private long _gcSinceLastWake;

    public TimerLoop(SlotTable slots, Inbox inbox, TimeProvider timeProvider, Func<int> liveCount)
    {
        _slots = slots;
        _inbox = inbox;
        _timeProvider = timeProvider;
        _liveCount = liveCount;
        _lateForCause = TimestampTicks.From(LateForCause, timeProvider);
        _gcAtLastWake = RuntimeHistory.GcPauseTicks();
    }

    /// <summary>One step: drains the inbox and pops everything due into <paramref name="batch"/>; returns the next due key.</summary>
    /// <param name="now">The clock now.</param>
    /// <param name="planned">The wake-up that was planned, to measure oversleep (<see cref="long.MaxValue"/> when none).</param>
    /// <param name="batch">Receives work for the dispatchers.</param>
    public long Step(long now, long planned, List<WorkItem> batch)
    {
        _gcNow = RuntimeHistory.GcPauseTicks();
        _gcSinceLastWake = _gcNow - _gcAtLastWake;
        _gcAtLastWake = _gcNow;
        _oversleep = planned == long.MaxValue || now <= planned ? 0 : now - planned;
        if (_timeProvider == TimeProvider.System)
        {
            RuntimeHistory.Add(now, _gcNow, _oversleep);
        }

        DrainInbox();
        while (_queue.TryPeek(out var key, out var slot) && key <= now)
        {
            _queue.Pop();
            Examine(slot, key, now, batch);
        }

        if (_queue.Count > (2 * _liveCount()) + 1024)
        {
            _queue.Compact(IsLive);
        }

        _queue.TryPeek(out var next, out _);
        return next;
    }

    /// <summary>Pushes the next keys computed by the thread that owns the loop (no inbox, no lock) and clears the list.</summary>
    public void PushLocal(List<(int Slot, long Key)> posts)
    {
        foreach (var (slot, key) in posts)
        {
            if (Volatile.Read(ref _slots[slot].TimerKey) == key)
            {
                _queue.Push(key, slot);
            }
        }

        posts.Clear();
    }

    private void DrainInbox()
    {
        var posted = _inbox.Take(_spare);
        foreach (var (slot, key) in posted)
        {
            if (Inbox.IsFree(key))
            {
                _slots[slot].Handle?.OnFreed();
                _slots.Free(slot);
            }
            else if (Volatile.Read(ref _slots[slot].TimerKey) == key)
            {
                _queue.Push(key, slot);
            }
        }

        _spare = posted;
    }

    private bool IsLive(long key, int slot)
    {
        ref var entry = ref _slots[slot];
        return Volatile.Read(ref entry.TimerKey) == key && SlotState.IsLive(Volatile.Read(ref entry.State));
    }

    private void Examine(int index, long key, long now, List<WorkItem> batch)
    {
        ref var slot = ref _slots[index];
        if (Volatile.Read(ref slot.TimerKey) != key)
        {
            return; // stale: rescheduled, or freed and reused
        }

        var state = Volatile.Read(ref slot.State);
        if (!SlotState.IsLive(state))
        {
            return;
        }

        var settings = _slots.SettingsOf(slot);
        var liveness = long.MaxValue;
        if (settings.TimeoutTicks > 0 && (state & SlotState.PeerDeadRaised) == 0)
        {
            var deadline = Volatile.Read(ref slot.LastPeerActivity) + settings.TimeoutTicks;
            if (deadline <= now)
            {
                batch.Add(new WorkItem(index, WorkKind.PeerDead, HeartbeatDelayCause.None, now, _gcNow));
            }
            else
            {
                liveness = deadline;
            }
        }

        if (SlotState.Phase(state) == SlotState.Scheduled)
        {
            ExamineScheduled(index, ref slot, settings, liveness, now, batch);
        }
        else
        {
            ExamineInFlight(index, ref slot, settings, key, liveness, now, batch);
        }
    }

    private void ExamineScheduled(int index, ref Slot slot, BeatSettings settings, long liveness, long now, List<WorkItem> batch)
    {
        if (settings.Mode == HeartbeatMode.WhenIdle)
        {
            // MarkActivity only writes a timestamp; the postponement happens here, lazily, at most once per interval.
            var idleDue = Volatile.Read(ref slot.LastActivity) + settings.IntervalTicks;
            if (idleDue > now && idleDue > slot.Nominal)
            {
                slot.Nominal = idleDue;
                slot.JitterFraction = settings.JitterTicks == 0 ? 0 : Random.Shared.Next();
            }
        }

        var due = slot.Nominal + settings.JitterOf(slot.JitterFraction);
        if (due > now)
        {
            Requeue(index, ref slot, Math.Min(due, liveness));
            return;
        }

        // Claimed for this heartbeat with one compare-and-swap, which also clears the flags of the previous send.
        if (SlotState.TryMove(ref slot.State, SlotState.Scheduled, SlotState.Running, SlotState.PerSend) != SlotState.Scheduled)
        {
            return; // disposed meanwhile
        }

        batch.Add(new WorkItem(index, WorkKind.Beat, TimerCause(now - due), now, _gcNow));
    }

    private void ExamineInFlight(int index, ref Slot slot, BeatSettings settings, long key, long liveness, long now, List<WorkItem> batch)
    {
        var next = liveness;
        if (_slots.ExtrasOf(index)?.InFlight is { } inFlight && SlotState.Phase(Volatile.Read(ref slot.State)) == SlotState.Running)
        {
            var watch = inFlight.Timeline.Start + settings.BlockedTicks;
            if (watch <= now)
            {
                if ((SlotState.Update(ref slot.State, SlotState.BlockedReported, 0) & SlotState.BlockedReported) == 0)
                {
                    batch.Add(new WorkItem(index, WorkKind.Blocked, HeartbeatDelayCause.None, inFlight.Timeline.Start, _gcNow));
                }
            }
            else
            {
                next = Math.Min(next, watch);
            }
        }

        // The completion is the authority on the next key: re-key only if it has not rescheduled meanwhile.
        if (next != long.MaxValue && Interlocked.CompareExchange(ref slot.TimerKey, next, key) == key)
        {
            _queue.Push(next, index);
        }
    }

    private void Requeue(int index, ref Slot slot, long key)
    {
        Volatile.Write(ref slot.TimerKey, key);
        _queue.Push(key, index);
    }

    private HeartbeatDelayCause TimerCause(long late)
    {
        if (late < _lateForCause)
        {
            return HeartbeatDelayCause.None;
        }

        var lateTicks = _timeProvider.GetElapsedTime(0, late).Ticks;
        if (_gcSinceLastWake * 2 >= lateTicks)
        {
            return HeartbeatDelayCause.GcPause;
        }

        return _oversleep * 2 >= late ? HeartbeatDelayCause.ProcessPaused : HeartbeatDelayCause.SchedulerOverload;
    }
}

using System.Runtime.CompilerServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer loop's work, one step per wake-up: take what was posted, pop what is due, and ask <see cref="SchedulePolicy"/>
/// what each needs (a heartbeat, a later key, a dead peer, a blocked report). Only the owner of the loop calls it.
/// </summary>
internal sealed class TimerLoop(SlotTable slots, Inbox inbox, TimeProvider clock, Func<int> liveCount)
{
    private readonly TimerQueue _queue = new();
    private readonly TimeProvider _clock = clock;
    private readonly long _lateForCause = SchedulePolicy.Ticks(TimeSpan.FromMilliseconds(1), clock); // later than this, a cause is named
    private List<Inbox.Entry> _spare = [];
    private long _gcAtLastWake = GcPauseTicks();
    private long _gcNow;
    private long _gcSinceLastWake; // timestamp ticks, like every other duration of the loop: converted once, at each step
    private long _oversleep;

    /// <summary>Gets the scheduling decisions, with the state only the owner of the loop touches.</summary>
    public SchedulePolicy Policy { get; } = new(clock);

    /// <summary>Gets the process's total GC pause time now, in TimeSpan ticks (the evidence for <see cref="HeartbeatDelayCause.GcPause"/>).</summary>
    public static long GcPauseTicks() => GC.GetTotalPauseDuration().Ticks;

    /// <summary>Drains the inbox and claims everything due into <paramref name="batch"/>; returns the next key. <paramref name="planned"/>: the planned wake-up, for oversleep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long Step(long now, long planned, List<WorkItem> batch)
    {
        _gcNow = GcPauseTicks();
        _gcSinceLastWake = SchedulePolicy.Ticks(TimeSpan.FromTicks(_gcNow - _gcAtLastWake), _clock);
        _gcAtLastWake = _gcNow;
        _oversleep = planned == long.MaxValue || now <= planned ? 0 : now - planned;

        DrainInbox();
        while (_queue.TryPeek(out var key, out var slot) && key <= now)
        {
            _queue.Pop();
            Examine(slot, key, now, batch);
        }

        if (_queue.Count > (2 * liveCount()) + 1024)
        {
            _queue.Compact(IsCurrent);
        }

        _queue.TryPeek(out var next, out _);
        return next;
    }

    /// <summary>Pushes the next keys delivered by the thread that owns the loop (no inbox, no lock) and clears them.</summary>
    public void Push(List<(int Slot, long Key)> keys)
    {
        foreach (var (slot, key) in keys)
        {
            PushIfCurrent(slot, key);
        }

        keys.Clear();
    }

    private void PushIfCurrent(int slot, long key)
    {
        if (Volatile.Read(ref slots[slot].TimerKey) == key)
        {
            _queue.Push(key, slot);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DrainInbox()
    {
        var posted = inbox.Take(_spare);
        foreach (var (slot, key, kind) in posted)
        {
            switch (kind)
            {
                case Inbox.Kind.Free:
                    slots[slot].Handle?.OnFreed();
                    slots.Free(slot);
                    break;
                default:
                    PushIfCurrent(slot, key);
                    break;
            }
        }

        _spare = posted;
    }

    private bool IsCurrent(long key, int slot)
    {
        ref var entry = ref slots[slot];
        return Volatile.Read(ref entry.TimerKey) == key && SlotState.IsLive(Volatile.Read(ref entry.State));
    }

    private void Examine(int index, long key, long now, List<WorkItem> batch)
    {
        ref var slot = ref slots[index];
        if (Volatile.Read(ref slot.TimerKey) != key)
        {
            return; // stale: rescheduled, or freed and reused
        }

        var state = Volatile.Read(ref slot.State);
        if (!SlotState.IsLive(state))
        {
            return;
        }

        var settings = slots.SettingsOf(slot);
        var deadline = SchedulePolicy.LivenessDeadline(settings, state, Volatile.Read(ref slot.LastPeerActivity));
        if (deadline <= now && SchedulePolicy.ExcusePause(settings, ref slot.LastPeerActivity, PausedSinceLastStep(), _lateForCause, now))
        {
            deadline = SchedulePolicy.LivenessDeadline(settings, state, Volatile.Read(ref slot.LastPeerActivity));
        }

        if (deadline <= now)
        {
            batch.Add(new WorkItem(index, WorkKind.PeerDead, HeartbeatDelayCause.None, now, _gcNow));
            deadline = long.MaxValue; // raised once; liveness stops with it
        }

        if (SlotState.Phase(state) == SlotState.Scheduled)
        {
            ExamineScheduled(index, ref slot, settings, deadline, now, batch);
        }
        else
        {
            ExamineInFlight(index, ref slot, settings, key, deadline, now, batch);
        }
    }

    private void ExamineScheduled(int index, ref Slot slot, BeatSettings settings, long deadline, long now, List<WorkItem> batch)
    {
        slot.Nominal = SchedulePolicy.AfterActivity(settings, slot.Nominal, Volatile.Read(ref slot.LastActivity));
        var due = SchedulePolicy.Due(settings, index, slot.Nominal);
        if (due <= now && (Volatile.Read(ref slot.State) & SlotState.Unplaced) != 0)
        {
            // A first heartbeat is placed when it falls due (rule 7), when the heartbeats already run have measured the cost.
            SlotState.Update(ref slot.State, 0, SlotState.Unplaced);
            var placed = Policy.Spread(settings, slot.Nominal);
            if (placed > slot.Nominal && settings.TimeoutTicks > 0)
            {
                SchedulePolicy.PutOffSilence(ref slot.LastPeerActivity, placed - slot.Nominal, now);
                deadline = SchedulePolicy.LivenessDeadline(settings, Volatile.Read(ref slot.State), Volatile.Read(ref slot.LastPeerActivity));
            }

            slot.Nominal = placed;
            due = SchedulePolicy.Due(settings, index, slot.Nominal);
        }

        if (due > now)
        {
            var key = SchedulePolicy.Key(due, deadline);
            Volatile.Write(ref slot.TimerKey, key);
            _queue.Push(key, index);
            return;
        }

        // Claimed for this heartbeat with one compare-and-swap, which also clears the previous send's blocked report.
        slot.SendMark = 0;
        if (SlotState.TryMove(ref slot.State, SlotState.Scheduled, SlotState.Running, SlotState.BlockedReported) != SlotState.Scheduled)
        {
            return; // disposed meanwhile
        }

        batch.Add(new WorkItem(index, WorkKind.Beat, TimerCause(now - due), now, _gcNow));
    }

    private void ExamineInFlight(int index, ref Slot slot, BeatSettings settings, long key, long deadline, long now, List<WorkItem> batch)
    {
        var next = deadline;
        if (slots.ExtrasOf(index)?.InFlight is { Watched: true } inFlight && SlotState.Phase(Volatile.Read(ref slot.State)) == SlotState.Running)
        {
            var watch = inFlight.Timeline.Start + settings.BlockedTicks;
            if (watch > now)
            {
                next = Math.Min(next, watch);
            }
            else if (SlotState.TrySet(ref slot.State, SlotState.BlockedReported))
            {
                batch.Add(new WorkItem(index, WorkKind.Blocked, HeartbeatDelayCause.None, inFlight.Timeline.Start, _gcNow));
            }
        }

        // The send is the authority on the next key: re-key only if it has not published one meanwhile.
        if (next != long.MaxValue && Interlocked.CompareExchange(ref slot.TimerKey, next, key) == key)
        {
            _queue.Push(next, index);
        }
    }

    // How long the process was held up since the loop last looked: the oversleep, or a GC pause that began during a batch
    // or ended before the planned wake-up (the timer thread did not oversleep it, but the application's readers were stopped).
    private long PausedSinceLastStep() => Math.Max(_oversleep, _gcSinceLastWake);

    // A heartbeat the loop took late names why: a GC pause or an oversleep that covers half of it, else the loop was too busy.
    private HeartbeatDelayCause TimerCause(long late) =>
        late < _lateForCause ? HeartbeatDelayCause.None
        : _gcSinceLastWake * 2 >= late ? HeartbeatDelayCause.GcPause
        : _oversleep * 2 >= late ? HeartbeatDelayCause.ProcessPaused : HeartbeatDelayCause.SchedulerOverload;
}

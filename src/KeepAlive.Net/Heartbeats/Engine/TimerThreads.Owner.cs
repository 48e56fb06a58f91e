namespace KeepAlive.Net.Heartbeats;

/// <content>The owner's side: the timer loop and the batch it runs inline.</content>
internal sealed partial class TimerThreads
{
    /// <summary>Runs the timer loop until stopped, or until a standby takes the turn over.</summary>
    private void Own(Turn turn, NextKeys keys)
    {
        var batch = new List<WorkItem>();
        if (turn.StuckSlot >= 0)
        {
            // Taken over from a thread stuck in a callback: watch that callback like a send in flight, run the rest of its batch.
            var inFlight = _slots.GetOrAddExtras(turn.StuckSlot).InFlight ??= new InFlightSend(_runner, _inbox, turn.StuckSlot);
            _loop.WatchStuck(turn.StuckSlot, turn.StuckStart, inFlight);
            if (turn.Count > 0 && !RunBatch(turn, null, _clock.GetTimestamp(), keys))
            {
                return;
            }
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
                if (!RunBatch(turn, batch, now, keys))
                {
                    return;
                }

                planned = long.MaxValue;
                continue; // pick up what came due while the batch ran
            }

            planned = _loop.WakeAt(now, next);
            if (planned - now >= _quietSleep && turn.HasBurstRoom(batch))
            {
                // Going quiet: give back the room of a burst (an empty batch, published as none). Not between the batches of a
                // steady load, whose sizes vary from one wake-up to the next: that would allocate the room again and again.
                turn.Load(batch, 0);
            }

            _inbox.PlanWake(planned);
            if (_inbox.IsEmpty && !_stopping)
            {
                _wait.WaitUntil(planned);
            }
        }
    }

    /// <summary>Runs a batch inline (loading <paramref name="batch"/> first, when given); false when a standby took the turn over meanwhile.</summary>
    private bool RunBatch(Turn turn, List<WorkItem>? batch, long now, NextKeys keys)
    {
        if (batch is not null)
        {
            turn.Load(batch, now);
        }
        else
        {
            Interlocked.Exchange(ref turn.BatchStart, now);
        }

        CallStandby(turn, now);
        var index = 0;
        var end = 0;
        var ran = 0;
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
            var start = ended > 0 ? ended : Math.Max(1, _clock.GetTimestamp());
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
        _loop.Policy.RecordBatch(ran, _clock.GetTimestamp() - now);
        return true;
    }

    /// <summary>
    /// Lets a standby cover for this batch: wakes one at once when the batch is estimated to take longer than
    /// <see cref="HelpBudget"/> on one thread, else sets the standby's alarm at the takeover threshold (when none is pending:
    /// a sleeping standby is woken to take it), so in a dense schedule it rings at most once per threshold, and after the last
    /// batch once more.
    /// </summary>
    private void CallStandby(Turn turn, long now)
    {
        if (NeedsHelp(turn.Count))
        {
            _alarm.Wake();
        }
        else if (Volatile.Read(ref _alarmArmed) <= now)
        {
            Volatile.Write(ref _alarmArmed, now + TakeoverAfter(turn.Items[0].Slot));
            _alarm.Wake();
        }
    }

    /// <summary>Whether so many items wait that one thread would not start them all within <see cref="HelpBudget"/>.</summary>
    private bool NeedsHelp(int waiting) => waiting >= 2 * Turn.OwnerChunk && waiting * _loop.Policy.BeatCost > _helpBudget;

    /// <summary>How long a slot's callback may hold the owner: the scheduler's threshold, or the registration's blocked threshold when that is shorter.</summary>
    private long TakeoverAfter(int slot) => Math.Min(_takeover, _slots.SettingsOf(_slots[slot]).BlockedTicks);
}

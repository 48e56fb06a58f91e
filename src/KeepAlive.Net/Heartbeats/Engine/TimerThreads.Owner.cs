namespace KeepAlive.Net.Heartbeats;

/// <content>The owner's side: the timer loop and the batch it runs inline.</content>
internal sealed partial class TimerThreads
{
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
}

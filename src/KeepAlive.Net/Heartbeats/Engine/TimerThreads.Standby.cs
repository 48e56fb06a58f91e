using KeepAlive.Net.Diagnostics;

namespace KeepAlive.Net.Heartbeats;

/// <content>The standby's side: watching the owner, taking a stuck turn over, helping with a long batch.</content>
internal sealed partial class TimerThreads
{
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

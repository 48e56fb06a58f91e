using KeepAlive.Net.Diagnostics;

namespace KeepAlive.Net.Heartbeats;

/// <content>The standby's side: watching the owner, taking a stuck turn over, helping with a long batch.</content>
internal sealed partial class TimerThreads
{
    /// <summary>The standby's loop: sleeps while nothing runs; returns a new turn when it took one over.</summary>
    private Turn? Watch(NextKeys keys)
    {
        while (!_stopping)
        {
            var turn = Volatile.Read(ref _turn);
            if (Volatile.Read(ref turn.BatchStart) == 0)
            {
                // Nothing runs. An alarm the owner set at its last batch stays until it rings, so batches until then do not wake
                // us again; once it has rung, sleep until the owner sets a new one as its next batch starts (it wakes us to take it).
                var armed = Volatile.Read(ref _alarmArmed);
                if (armed > _clock.GetTimestamp())
                {
                    _alarm.WaitUntil(armed);
                    continue;
                }

                Interlocked.Exchange(ref _alarmArmed, 0); // a full fence before checking the batch again
                if (Volatile.Read(ref turn.BatchStart) == 0)
                {
                    _alarm.WaitUntil(long.MaxValue);
                }

                continue;
            }

            var now = _clock.GetTimestamp();
            var alarm = now + _takeover;
            var start = Volatile.Read(ref turn.CurrentStart);
            if (start > 0)
            {
                var index = Volatile.Read(ref turn.CurrentIndex);
                var deadline = start + TakeoverAfter(turn.Items[index].Slot);
                if (now < deadline)
                {
                    alarm = deadline;
                }
                else if (Waiting(turn, index) || Volatile.Read(ref turn.NextDue) <= now)
                {
                    if (Interlocked.CompareExchange(ref turn.CurrentStart, Turn.Taken, start) == start)
                    {
                        return TakeOver(turn, index, start, now);
                    }

                    continue;
                }
                else
                {
                    alarm = Volatile.Read(ref turn.NextDue); // stuck, but nothing waits for it yet
                }
            }

            if (NeedsHelp(Volatile.Read(ref turn.Count) - Volatile.Read(ref turn.Next)))
            {
                Help(turn, keys);
                continue;
            }

            Volatile.Write(ref _alarmArmed, alarm);
            _alarm.WaitUntil(alarm);
        }

        return null;
    }

    // Whether other items of the owner's batch wait behind its callback in progress.
    private static bool Waiting(Turn turn, int index) =>
        index + 1 < Volatile.Read(ref turn.ChunkEnd) || Volatile.Read(ref turn.Next) < turn.Count;

    private Turn TakeOver(Turn stuck, int index, long start, long now)
    {
        var turn = new Turn { StuckSlot = stuck.Items[index].Slot, StuckStart = start };
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

        var rest = new List<WorkItem>();
        var claimed = Interlocked.Exchange(ref stuck.Next, int.MaxValue / 2);
        for (var i = index + 1; i < Volatile.Read(ref stuck.ChunkEnd); i++)
        {
            rest.Add(stuck.Items[i]); // the rest of the stuck owner's chunk
        }

        for (var i = claimed; i < stuck.Count; i++)
        {
            rest.Add(stuck.Items[i]);
        }

        turn.Load(rest, 0); // published by the new owner's RunBatch
        var name = _slots.SettingsOf(_slots[turn.StuckSlot]).Name;
        Log.HeartbeatTimerTakenOver(_logger, name, _clock.GetElapsedTime(start, now).TotalMilliseconds, turn.Count, threads);
        return turn;
    }

    /// <summary>
    /// Runs unclaimed items of a long batch beside the owner. Each item's next key goes to the inbox as soon as it ends: a
    /// later callback may block this thread, and nobody watches a helper, so it must not hold other registrations' keys.
    /// </summary>
    private void Help(Turn turn, NextKeys keys)
    {
        while (!_stopping && turn.TryClaimForHelper(out var item))
        {
            _runner.Run(item, keys);
            _inbox.Post(keys);
        }
    }
}

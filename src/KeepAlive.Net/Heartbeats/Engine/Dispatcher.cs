using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The dispatch stage: dedicated threads that take <see cref="WorkItem"/>s from a ring and run them with the
/// <see cref="BeatRunner"/>, so user callbacks never run on the timer thread or the thread pool. Threads sleep
/// on a monitor when the ring is empty. The timer thread checks, at the deadlines this class gives it, whether a
/// dispatcher is stuck in a callback past its blocked threshold; then the callback is reported and another
/// thread takes over, and the stuck one retires when its callback returns.
/// </summary>
internal sealed class Dispatcher : IDisposable
{
    private readonly object _lock = new();
    private readonly BeatRunner _runner;
    private readonly SlotTable _slots;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _target;
    private readonly int _max;
    private readonly int _overloadQueueLength;
    private readonly long _overloadWait;
    private readonly List<Worker> _workers = [];
    private WorkItem[] _ring = new WorkItem[256];
    private int _head;
    private int _count;
    private int _waiting;
    private int _started;
    private bool _stopping;

    public Dispatcher(BeatRunner runner, SlotTable slots, TimeProvider timeProvider, ILogger logger, HeartbeatSchedulerOptions options)
    {
        _runner = runner;
        _slots = slots;
        _timeProvider = timeProvider;
        _logger = logger;
        _target = options.DispatcherThreadCount;
        _max = Math.Max(_target, options.MaxDispatcherThreadCount);
        _overloadQueueLength = options.OverloadQueueLength;
        _overloadWait = timeProvider.TimestampFrequency / 100; // 10 ms behind
        lock (_lock)
        {
            for (var i = 0; i < _target; i++)
            {
                StartWorker();
            }
        }
    }

    /// <summary>Gets how many items wait for a dispatcher.</summary>
    public int QueueLength => Volatile.Read(ref _count);

    /// <summary>Hands a batch to the dispatchers (timer thread).</summary>
    public void Enqueue(List<WorkItem> batch)
    {
        lock (_lock)
        {
            if (_count + batch.Count > _ring.Length)
            {
                Grow(_count + batch.Count);
            }

            foreach (var item in batch)
            {
                _ring[(_head + _count) % _ring.Length] = item;
                _count++;
            }

            if (_waiting > 0)
            {
                Monitor.Pulse(_lock);
            }
        }
    }

    /// <summary>
    /// The timer thread's check of callbacks running on dispatcher threads: reports each one running past its
    /// blocked threshold once, replaces its thread, and returns the next deadline to check (or <see cref="long.MaxValue"/>).
    /// </summary>
    public long CheckStuck(long now, List<WorkItem> reports)
    {
        var next = long.MaxValue;
        int added = 0, stuck = 0, queued;
        lock (_lock)
        {
            foreach (var worker in _workers)
            {
                var slot = Volatile.Read(ref worker.CurrentSlot);
                if (slot < 0)
                {
                    continue;
                }

                var start = Volatile.Read(ref worker.CurrentStart);
                var deadline = start + _slots.SettingsOf(_slots[slot]).BlockedTicks;
                if (worker.Stuck)
                {
                    stuck++;
                }
                else if (now >= deadline)
                {
                    worker.Stuck = true;
                    stuck++;
                    SlotState.Update(ref _slots[slot].State, SlotState.BlockedReported, 0);
                    reports.Add(new WorkItem(slot, WorkKind.Blocked, HeartbeatDelayCause.None, start, 0));
                }
                else
                {
                    next = Math.Min(next, deadline);
                }
            }

            while (_workers.Count - stuck < _target && _workers.Count < _max && !_stopping)
            {
                StartWorker();
                added = _workers.Count;
            }

            // Overload: many heartbeats wait and the oldest is behind: one more dispatcher (they stay, asleep when idle).
            if (_count >= _overloadQueueLength && now - _ring[_head].Popped >= _overloadWait && _workers.Count < _max && !_stopping)
            {
                StartWorker();
                added = _workers.Count;
            }

            queued = _count;
        }

        if (added > 0)
        {
            Log.HeartbeatDispatcherAdded(_logger, stuck, queued, added);
        }

        return next;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            _count = 0;
            Monitor.PulseAll(_lock);
        }
    }

    private void Grow(int needed)
    {
        var bigger = new WorkItem[Math.Max(needed, _ring.Length * 2)];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = bigger;
        _head = 0;
    }

    private void StartWorker()
    {
        var worker = new Worker();
        _workers.Add(worker);
        var thread = new Thread(() => Run(worker)) { IsBackground = true, Name = "KeepAlive.Net heartbeat dispatcher " + (++_started) };
        thread.UnsafeStart();
    }

    private void Run(Worker worker)
    {
        while (true)
        {
            WorkItem item;
            lock (_lock)
            {
                while (_count == 0 && !_stopping)
                {
                    _waiting++;
                    Monitor.Wait(_lock);
                    _waiting--;
                }

                if (_stopping)
                {
                    _workers.Remove(worker);
                    return;
                }

                item = _ring[_head];
                _head = (_head + 1) % _ring.Length;
                _count--;
                if (_count > 0 && _waiting > 0)
                {
                    Monitor.Pulse(_lock); // more work: let an idle dispatcher help, so one slow callback holds up nobody
                }
            }

            Volatile.Write(ref worker.CurrentStart, _timeProvider.GetTimestamp());
            Volatile.Write(ref worker.CurrentSlot, item.Slot);
            _runner.Run(item);
            Volatile.Write(ref worker.CurrentSlot, -1);
            if (worker.Stuck && Retire(worker))
            {
                return;
            }
        }
    }

    private bool Retire(Worker worker)
    {
        lock (_lock)
        {
            worker.Stuck = false;
            if (_workers.Count <= _target)
            {
                return false;
            }

            _workers.Remove(worker);
            return true;
        }
    }

    private sealed class Worker
    {
        public int CurrentSlot = -1;
        public long CurrentStart;
        public bool Stuck;
    }
}

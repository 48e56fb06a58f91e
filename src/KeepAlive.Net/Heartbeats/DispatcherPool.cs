using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Dedicated dispatcher threads that start heartbeat callbacks, fed by a ring-buffer queue (no allocation per item),
/// and a watchdog thread. A dispatcher stuck in a callback longer than its blocked threshold is reported and replaced,
/// so other registrations keep their schedule; it retires when its callback returns and enough dispatchers are healthy.
/// </summary>
internal sealed class DispatcherPool : IDisposable
{
    private static readonly TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(20);
    private readonly HeartbeatScheduler _owner;
    private readonly ILogger _logger;
    private readonly int _target;
    private readonly int _max;
    private readonly object _lock = new();
    private readonly List<Worker> _workers = [];
    private readonly List<(HeartbeatRegistration Registration, long Since)> _newlyStuck = [];
    private readonly ManualResetEventSlim _stopWatchdog = new(false);
    private readonly Thread _watchdog;
    private WorkItem[] _ring = new WorkItem[256];
    private int _head;
    private int _count;
    private bool _stopping;
    private int _started;

    public DispatcherPool(HeartbeatScheduler owner, ILogger logger, int target, int max)
    {
        _owner = owner;
        _logger = logger;
        _target = target;
        _max = Math.Max(target, max);
        lock (_lock)
        {
            for (var i = 0; i < target; i++)
            {
                StartWorker();
            }
        }

        _watchdog = new Thread(RunWatchdog) { IsBackground = true, Name = "KeepAlive.Net heartbeat watchdog" };
        _watchdog.Start();
    }

    public int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Enqueue(HeartbeatRegistration registration, bool isPeerDead, long now)
    {
        lock (_lock)
        {
            if (_count == _ring.Length)
            {
                var bigger = new WorkItem[_ring.Length * 2];
                for (var i = 0; i < _count; i++)
                {
                    bigger[i] = _ring[(_head + i) % _ring.Length];
                }

                _ring = bigger;
                _head = 0;
            }

            _ring[(_head + _count) % _ring.Length] = new WorkItem(registration, isPeerDead, now, _count);
            _count++;
            Monitor.Pulse(_lock);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            _count = 0;
            Monitor.PulseAll(_lock);
        }

        _stopWatchdog.Set();
        _watchdog.Join(TimeSpan.FromSeconds(2));
        _stopWatchdog.Dispose();
    }

    /// <summary>One watchdog pass: report stuck dispatchers and replace them, add one when the queue waits on busy ones.</summary>
    internal void CheckWorkers()
    {
        var now = _owner.TimeProvider.GetTimestamp();
        int stuck = 0, queued, added = 0;
        lock (_lock)
        {
            var busy = 0;
            foreach (var worker in _workers)
            {
                lock (worker)
                {
                    if (worker.Current is not { } current)
                    {
                        continue;
                    }

                    busy++;
                    if (!worker.Stuck && now - worker.BusySince >= current.BlockedThresholdTicks)
                    {
                        worker.Stuck = true;
                        current.BlockedReported = true;
                        _newlyStuck.Add((current, worker.BusySince));
                    }

                    stuck += worker.Stuck ? 1 : 0;
                }
            }

            queued = _count;
            var oldestWait = _count > 0 ? now - _ring[_head].EnqueuedAt : 0;
            var needMore = _workers.Count - stuck < _target || (_count > 0 && busy == _workers.Count && oldestWait >= _owner.ToTimestampTicks(WatchdogPeriod));
            if (needMore && _workers.Count < _max && !_stopping)
            {
                StartWorker();
                added = _workers.Count;
            }
        }

        // Report outside the locks: a slow logger must not hold up the dispatchers.
        foreach (var (registration, since) in _newlyStuck)
        {
            registration.Tracker.RecordBlocked(_owner.TimeProvider.GetElapsedTime(since, now), "synchronous callback holding a dispatcher thread");
        }

        _newlyStuck.Clear();
        if (added > 0)
        {
            Log.HeartbeatDispatcherAdded(_logger, stuck, queued, added);
        }
    }

    private void StartWorker()
    {
        var worker = new Worker();
        var thread = new Thread(() => RunWorker(worker)) { IsBackground = true, Name = "KeepAlive.Net heartbeat dispatcher " + (++_started) };
        _workers.Add(worker);
        thread.Start();
    }

    private void RunWatchdog()
    {
        while (!_stopWatchdog.Wait(WatchdogPeriod))
        {
            CheckWorkers();
            _owner.CheckInFlight();
        }
    }

    private void RunWorker(Worker worker)
    {
        while (true)
        {
            WorkItem item;
            lock (_lock)
            {
                while (_count == 0 && !_stopping)
                {
                    Monitor.Wait(_lock);
                }

                if (_stopping)
                {
                    _workers.Remove(worker);
                    return;
                }

                item = _ring[_head];
                _ring[_head] = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }

            lock (worker)
            {
                worker.BusySince = _owner.TimeProvider.GetTimestamp();
                worker.Current = item.Registration;
            }

            _owner.Execute(item);
            bool wasStuck;
            lock (worker)
            {
                worker.Current = null;
                wasStuck = worker.Stuck;
                worker.Stuck = false;
            }

            if (wasStuck && Retire(worker))
            {
                return;
            }
        }
    }

    private bool Retire(Worker worker)
    {
        lock (_lock)
        {
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
        public long BusySince { get; set; }

        public HeartbeatRegistration? Current { get; set; }

        public bool Stuck { get; set; }
    }
}

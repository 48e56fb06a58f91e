using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// The simplest honest scheduler: one dedicated thread, a <see cref="PriorityQueue{TElement, TPriority}"/> of
/// (registration, due time) and <see cref="Monitor.Wait(object, int)"/> rounded up to the next millisecond, so it
/// is never early and never spins. Every wake-up takes all due entries as a batch, runs them outside the lock and
/// puts each back at its next due time (skipping missed beats, never bursting). Removal is lazy: the entry is
/// dropped when it comes up.
/// </summary>
internal sealed class PriorityQueueThreadContender : Contender
{
    /// <summary>The contender's name in every table.</summary>
    public const string DisplayName = "PriorityQueue thread";

    private readonly object _gate = new();
    private readonly PriorityQueue<int, long> _queue = new();
    private readonly List<(int Index, long Due)> _batch = [];
    private readonly bool[] _removed;
    private readonly long _period;
    private readonly Thread _thread;
    private bool _stopping;

    public PriorityQueueThreadContender(int registrations, TimeSpan interval, Action<int> beat)
        : base(DisplayName, registrations, interval, beat)
    {
        _removed = new bool[registrations];
        _period = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "pq-heartbeats" };
        _thread.Start();
    }

    public override void Add(int index)
    {
        var due = Stopwatch.GetTimestamp() + _period;
        lock (_gate)
        {
            _queue.Enqueue(index, due);
            if (_queue.TryPeek(out _, out var head) && head == due)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    public override void Remove(int index)
    {
        lock (_gate)
        {
            _removed[index] = true;
        }
    }

    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        if (!_thread.Join(StopTimeout))
        {
            throw new TimeoutException($"The priority-queue thread did not stop within {StopTimeout.TotalSeconds} s.");
        }
    }

    private void Run()
    {
        while (TakeDue())
        {
            foreach (var (index, _) in _batch)
            {
                Beat(index);
            }

            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var (index, due) in _batch)
                {
                    _queue.Enqueue(index, PeriodicSchedule.NextDue(due, now, _period));
                }
            }

            _batch.Clear();
        }
    }

    private bool TakeDue()
    {
        lock (_gate)
        {
            while (!_stopping)
            {
                var now = Stopwatch.GetTimestamp();
                while (_queue.TryPeek(out var index, out var due) && due <= now)
                {
                    _queue.Dequeue();
                    if (!_removed[index])
                    {
                        _batch.Add((index, due));
                    }
                }

                if (_batch.Count > 0)
                {
                    return true;
                }

                Monitor.Wait(_gate, _queue.TryPeek(out _, out var next) ? WaitMilliseconds(next - now) : Timeout.Infinite);
            }

            return false;
        }
    }

    private static int WaitMilliseconds(long ticks) => (int)Math.Min(int.MaxValue, Math.Ceiling(ticks * 1000.0 / Stopwatch.Frequency));
}

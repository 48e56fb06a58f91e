using System.Collections.Concurrent;
using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// The heartbeat a careful engineer writes by hand: one dedicated thread, woken every millisecond, runs every registration
/// that is due (a FIFO ring in due order: one interval, so registration order is due order); in the soak each run is one
/// <c>Socket.Send</c>. No library, no lateness accounting beyond the benchmark's own: the floor we are measured against.
/// </summary>
internal sealed class PacedContender : Contender
{
    public const string DisplayName = "hand-written: one thread, paced every 1 ms";

    private readonly ConcurrentQueue<(int Index, long Due)> _added = new();
    private readonly Queue<(int Index, long Due)> _ring;
    private readonly bool[] _removed;
    private readonly long _interval;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public PacedContender(int registrations, TimeSpan interval, Action<int> beat)
        : base(DisplayName, registrations, interval, beat)
    {
        _ring = new Queue<(int, long)>(registrations);
        _removed = new bool[registrations];
        _interval = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Loop) { IsBackground = true, Name = "paced heartbeat", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Bytes this contender keeps per connection: one (index, due) entry in its ring.</summary>
    public static int BytesPerConnection => sizeof(int) + sizeof(long) + sizeof(bool);

    public override void Add(int index) => _added.Enqueue((index, Stopwatch.GetTimestamp() + _interval));

    public override void Remove(int index) => Volatile.Write(ref _removed[index], true);

    protected override void Dispose(bool disposing)
    {
        _stopping = true;
        _thread.Join();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            while (_added.TryDequeue(out var added))
            {
                _ring.Enqueue(added);
            }

            var now = Stopwatch.GetTimestamp();
            while (_ring.TryPeek(out var head) && head.Due <= now)
            {
                _ring.Dequeue();
                if (Volatile.Read(ref _removed[head.Index]))
                {
                    continue;
                }

                Beat(head.Index);
                _ring.Enqueue((head.Index, head.Due + _interval));
            }

            Thread.Sleep(1);
        }
    }
}

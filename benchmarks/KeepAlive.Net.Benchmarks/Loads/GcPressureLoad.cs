namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>
/// Allocation-heavy garbage-collector pressure: one thread churns a retained graph of small objects (they
/// survive into gen2) and large-object-heap arrays, another forces a blocking, compacting gen2 collection
/// every <see cref="CollectEvery"/>. Every managed thread is paused during those collections.
/// </summary>
internal sealed class GcPressureLoad : Load
{
    private const int RetainedSmall = 1_000_000;
    private const int RetainedLarge = 64;
    private const int LargeSize = 1 << 20;
    private static readonly TimeSpan CollectEvery = TimeSpan.FromMilliseconds(250);

    private readonly ManualResetEventSlim _stopped = new(initialState: false);
    private readonly List<Thread> _threads = [];

    public override string Name => "gc";

    public override void Start()
    {
        _stopped.Reset();
        _threads.Add(StartThread("gc-load-allocator", Allocate));
        _threads.Add(StartThread("gc-load-collector", Collect));
    }

    protected override void Dispose(bool disposing) => _stopped.Dispose();

    public override void Stop()
    {
        _stopped.Set();
        _threads.ForEach(t => t.Join());
        _threads.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private void Allocate()
    {
        var small = new object[RetainedSmall];
        var large = new byte[RetainedLarge][];
        var random = new Random(42);
        var round = 0;
        while (!_stopped.IsSet)
        {
            for (var i = 0; i < 10_000; i++)
            {
                small[random.Next(RetainedSmall)] = new byte[random.Next(16, 256)];
            }

            large[round++ % RetainedLarge] = new byte[LargeSize];
        }
    }

    private void Collect()
    {
        while (!_stopped.Wait(CollectEvery))
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }
}

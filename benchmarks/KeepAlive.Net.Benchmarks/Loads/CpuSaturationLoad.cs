namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>One busy-spinning thread per core at normal priority: every runnable thread competes for a core.</summary>
internal sealed class CpuSaturationLoad : Load
{
    private readonly List<Thread> _threads = [];
    private volatile bool _stopping;

    public override string Name => "cpu";

    public override void Start()
    {
        _stopping = false;
        for (var i = 0; i < Environment.ProcessorCount; i++)
        {
            _threads.Add(StartThread($"cpu-load-{i}", Spin));
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    public override void Stop()
    {
        _stopping = true;
        _threads.ForEach(t => t.Join());
        _threads.Clear();
    }

    private void Spin()
    {
        while (!_stopping)
        {
            Thread.SpinWait(1_000);
        }
    }
}

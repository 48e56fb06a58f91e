namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>Every load at once: busy cores, a starved pool and forced gen2 collections.</summary>
internal sealed class CombinedLoad(IReadOnlyList<Load> loads) : Load
{
    public override string Name => "all";

    public override void Start()
    {
        foreach (var load in loads)
        {
            load.Start();
        }
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var load in loads)
        {
            load.Dispose();
        }
    }

    public override void Stop()
    {
        foreach (var load in loads)
        {
            load.Stop();
        }
    }
}

namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>An idle process: the reference every other load is compared with.</summary>
internal sealed class NoLoad : Load
{
    public override string Name => "none";

    public override void Start()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }

    public override void Stop()
    {
    }
}

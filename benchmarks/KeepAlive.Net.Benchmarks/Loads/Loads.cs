namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>Creates loads by the names the command line uses: none, cpu, threadpool, gc, all.</summary>
internal static class Loads
{
    public const string AllNames = "none,cpu,threadpool,gc,all";

    /// <summary>Returns <paramref name="name"/> when it is a known load; throws naming the loads otherwise.</summary>
    public static string Check(string name)
    {
        using var load = Create(name);
        return name;
    }

    public static Load Create(string name) => name.ToUpperInvariant() switch
    {
        "NONE" => new NoLoad(),
        "CPU" => new CpuSaturationLoad(),
        "THREADPOOL" => new ThreadPoolStarvationLoad(),
        "GC" => new GcPressureLoad(),
        "ALL" => new CombinedLoad([new CpuSaturationLoad(), new ThreadPoolStarvationLoad(), new GcPressureLoad()]),
        _ => throw new ArgumentException($"Unknown load '{name}': use {AllNames}."),
    };
}

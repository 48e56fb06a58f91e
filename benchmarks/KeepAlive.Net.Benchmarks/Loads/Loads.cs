namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>Creates loads by the names the command line uses: none, cpu, threadpool, gc, all.</summary>
internal static class Loads
{
    public const string AllNames = "none,cpu,threadpool,gc,all";

    /// <summary>Returns <paramref name="names"/> when every one is a known load; throws naming the first that is not.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            using var load = Create(name);
        }

        return names.Count > 0 ? names : throw new ArgumentException($"--load names no load: use {AllNames}.");
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

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>What one cost run measures: the sizes, the interval, warm-up and measured windows, the contenders and where results go.</summary>
internal sealed record CostOptions(
    IReadOnlyList<int> Sizes,
    TimeSpan Interval,
    TimeSpan Warmup,
    TimeSpan Window,
    TimeSpan IdleWindow,
    IReadOnlyList<CostContenderKind> Contenders,
    string OutputDirectory,
    int Seed,
    bool FailOnMiss)
{
    public static IReadOnlyList<int> DefaultSizes { get; } = [1_000, 10_000, 100_000, 1_000_000];

    /// <summary>How long the process is left alone after a full collection before the next measurement.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets a value indicating whether each size is registered in a burst (a tight loop) instead of at random phases over one interval.</summary>
    public bool Burst { get; init; }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>What the runtime looked like during a late window, from <see cref="RuntimeSampler"/>.</summary>
/// <param name="Samples">How many samples fell into the window (the live reading included).</param>
/// <param name="SamplesWithQueuedWork">How many of them saw queued thread-pool work items.</param>
/// <param name="MaxQueuedWork">The most queued work items seen.</param>
/// <param name="FirstThreadCount">Thread-pool threads at the start of the window.</param>
/// <param name="MaxThreadCount">The most thread-pool threads seen in the window.</param>
/// <param name="GcPause">GC pause time accumulated in the window.</param>
/// <param name="MaxSamplerGap">The longest the sampler's own dedicated thread went without running, beyond its period.</param>
internal readonly record struct RuntimeEvidence(
    int Samples,
    int SamplesWithQueuedWork,
    long MaxQueuedWork,
    int FirstThreadCount,
    int MaxThreadCount,
    TimeSpan GcPause,
    TimeSpan MaxSamplerGap);

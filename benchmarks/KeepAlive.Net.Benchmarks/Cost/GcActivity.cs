namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// The process's garbage collections so far: time paused and collections per generation. Two readings give what happened
/// between them; every thread stops for a collection, so lateness measured over the same part of a run reads against it.
/// </summary>
internal readonly record struct GcActivity(TimeSpan Paused, int Gen0, int Gen1, int Gen2)
{
    public static GcActivity Read() => new(GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public GcActivity Since(GcActivity start) => new(Paused - start.Paused, Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2);

    /// <summary>What happened, for a log line: the time paused and the collections of each generation.</summary>
    public override string ToString() => $"{Paused.TotalMilliseconds:0.#} ms paused, collections gen0 {Gen0}, gen1 {Gen1}, gen2 {Gen2}";
}

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>Counts at the end of a run: beats due by then, sent (served a due time), still unserved, and catch-up bursts.</summary>
internal sealed record TrackerTotals(long Due, long Sent, long Unserved, long Bursts)
{
    public long Missed => Math.Max(0, Due - Sent);
}

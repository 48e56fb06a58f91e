namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>One contender under one load: counts, lateness percentiles in microseconds, and the histogram behind them.</summary>
internal sealed record AccuracyResult(
    string Load,
    string Contender,
    bool IsOurs,
    int Registrations,
    TrackerTotals Totals,
    LatenessHistogram Histogram)
{
    public long P50 => Histogram.PercentileMicroseconds(0.50);

    public long P90 => Histogram.PercentileMicroseconds(0.90);

    public long P99 => Histogram.PercentileMicroseconds(0.99);

    public long P999 => Histogram.PercentileMicroseconds(0.999);

    public long Max => Histogram.MaxMicroseconds;
}

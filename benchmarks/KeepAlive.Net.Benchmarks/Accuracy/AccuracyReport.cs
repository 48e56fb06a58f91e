using System.Globalization;
using System.Text;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>Writes accuracy results as a markdown table, a summary CSV and a percentile-distribution CSV.</summary>
internal static class AccuracyReport
{
    /// <summary>The quantiles written to the distribution CSV and drawn in the chart, from the median to 99.999 %.</summary>
    public static IReadOnlyList<double> Quantiles { get; } =
        [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 1];

    public static string Markdown(IReadOnlyList<AccuracyResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Load | Contender | Registrations | Due | Sent | Missed | Unserved at end | Bursts | p50 | p90 | p99 | p99.9 | Max | p99 vs ours |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var t = r.Totals;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Load} | {r.Contender} | {r.Registrations:N0} | {t.Due:N0} | {t.Sent:N0} | {t.Missed:N0} | {t.Unserved:N0} | {t.Bursts:N0} | {Lateness.Human(r.P50)} | {Lateness.Human(r.P90)} | {Lateness.Human(r.P99)} | {Lateness.Human(r.P999)} | {Lateness.Human(r.Max)} | {FormatRatio(P99Ratio(results, r))} |");
        }

        return text.ToString();
    }

    public static string SummaryCsv(IReadOnlyList<AccuracyResult> results)
    {
        var text = new StringBuilder("load,contender,is_ours,registrations,due,sent,missed,unserved_at_end,bursts,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,p99_ratio_vs_ours\n");
        foreach (var r in results)
        {
            var t = r.Totals;
            var ratio = P99Ratio(results, r);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Load},{r.Contender},{r.IsOurs},{r.Registrations},{t.Due},{t.Sent},{t.Missed},{t.Unserved},{t.Bursts},{Lateness.Milliseconds(r.P50)},{Lateness.Milliseconds(r.P90)},{Lateness.Milliseconds(r.P99)},{Lateness.Milliseconds(r.P999)},{Lateness.Milliseconds(r.Max)},{(double.IsNaN(ratio) ? string.Empty : ratio.ToString("0.##", CultureInfo.InvariantCulture))}");
        }

        return text.ToString();
    }

    public static string DistributionCsv(IReadOnlyList<AccuracyResult> results)
    {
        var text = new StringBuilder("load,contender,quantile,lateness_ms\n");
        foreach (var r in results)
        {
            foreach (var q in Quantiles)
            {
                var value = q >= 1 ? r.Max : r.Histogram.PercentileMicroseconds(q);
                text.AppendLine(CultureInfo.InvariantCulture, $"{r.Load},{r.Contender},{q},{Lateness.Milliseconds(value)}");
            }
        }

        return text.ToString();
    }

    /// <summary>A baseline's p99 divided by ours under the same load; NaN without our scheduler in the run.</summary>
    public static double P99Ratio(IReadOnlyList<AccuracyResult> results, AccuracyResult result)
    {
        var ours = results.FirstOrDefault(r => r.IsOurs && r.Load == result.Load);
        return ours is null || result.IsOurs ? double.NaN : (double)result.P99 / Math.Max(1, ours.P99);
    }

    private static string FormatRatio(double ratio) => double.IsNaN(ratio) ? "-" : ratio.ToString("N0", CultureInfo.InvariantCulture) + "x";
}

using ScottPlot;
using ScottPlot.TickGenerators;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// Draws one panel per load: lateness (log scale) against percentile on a "nines" axis
/// (50 %, 90 %, 99 %, 99.9 % ... evenly spaced), one line per contender, so the tail is as visible as the median.
/// </summary>
internal static class LatenessChart
{
    private const double FloorMicroseconds = 1;
    private const int PanelWidth = 1200;
    private const int PanelHeight = 360;

    public static void SavePng(IReadOnlyList<AccuracyResult> results, string path)
    {
        var loads = results.Select(r => r.Load).Distinct().ToList();
        var top = Math.Ceiling(Log(results.Max(r => r.Max))) + 0.2;
        var multiplot = new Multiplot();
        multiplot.AddPlots(loads.Count);
        for (var i = 0; i < loads.Count; i++)
        {
            DrawPanel(multiplot.GetPlot(i), loads[i], results.Where(r => r.Load == loads[i]).ToList(), top);
        }

        multiplot.SavePng(path, PanelWidth, PanelHeight * loads.Count);
    }

    private static void DrawPanel(Plot plot, string load, List<AccuracyResult> results, double top)
    {
        plot.Title($"Heartbeat lateness under load: {load}");
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
        MarkerShape[] markers = [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond];
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var quantiles = AccuracyReport.Quantiles.Where(q => q < 1 && (1 - q) * result.Histogram.Count >= 1).ToList();
            var xs = quantiles.Select(Nines).Append(Nines(quantiles.Count == 0 ? 0 : quantiles[^1]) + 0.25).ToArray();
            var ys = quantiles.Select(q => (double)result.Histogram.PercentileMicroseconds(q)).Append(result.Max).Select(Log).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{result.Contender} (x{result.Registrations:N0})";
            line.LineWidth = result.IsOurs ? 3 : 2;
            line.LinePattern = patterns[i % patterns.Length];
            line.MarkerShape = markers[i % markers.Length];
            line.MarkerSize = 7;
        }

        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Lateness.Human((long)Math.Pow(10, y)),
        };
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            [0, 1, 2, 3, 4, 5],
            ["p0", "p90", "p99", "p99.9", "p99.99", "p99.999"]);
        plot.Axes.Left.Label.Text = "lateness (log)";
        plot.Axes.Bottom.Label.Text = "percentile (last point: max)";
        plot.Axes.SetLimits(-0.1, 5.4, -0.2, top);
        plot.ShowLegend(Edge.Right);
    }

    private static double Nines(double quantile) => -Math.Log10(1 - quantile);

    private static double Log(double microseconds) => Math.Log10(Math.Max(FloorMicroseconds, microseconds));
}

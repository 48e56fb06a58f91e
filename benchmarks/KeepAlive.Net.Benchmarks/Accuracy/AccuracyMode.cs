using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// <c>accuracy</c>: heartbeat lateness of every contender side by side under each load; prints a markdown
/// table and the targets, writes accuracy.csv, accuracy-distribution.csv and accuracy.png to the results folder.
/// </summary>
internal static class AccuracyMode
{
    private const int StarvationTargetRegistrations = 100_000;

    public static IReadOnlyList<AccuracyResult> Run(AccuracyOptions options, TextWriter output)
    {
        output.WriteLine($"# Heartbeat lateness: {options.Duration.TotalSeconds:0.#} s per load, interval {options.Interval.TotalMilliseconds:0.#} ms, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        output.WriteLine();
        output.WriteLine($"Our scheduler and the PriorityQueue thread run {options.RegistrationsFor(onThreadPool: false):N0} registrations each; each thread-pool baseline runs min({options.Registrations:N0}, {options.BaselineRegistrations:N0}) = {options.RegistrationsFor(onThreadPool: true):N0} (change with --baseline-registrations).");
        output.WriteLine("Lateness = callback start - due time (monotonic clock). Unserved due times at the end count with their lateness so far.");
        output.WriteLine();

        var results = new AccuracyRunner(options, output).Run();

        output.WriteLine();
        output.WriteLine(AccuracyReport.Markdown(results));
        Directory.CreateDirectory(options.OutputDirectory);
        var csv = Path.Combine(options.OutputDirectory, "accuracy.csv");
        var distribution = Path.Combine(options.OutputDirectory, "accuracy-distribution.csv");
        var chart = Path.Combine(options.OutputDirectory, "accuracy.png");
        File.WriteAllText(csv, AccuracyReport.SummaryCsv(results));
        File.WriteAllText(distribution, AccuracyReport.DistributionCsv(results));
        LatenessChart.SavePng(results, chart);
        output.WriteLine($"Wrote {csv}, {distribution} and {chart}.");

        TargetCheck.Print(output, Targets(results, options));
        return results;
    }

    private static IEnumerable<TargetCheck> Targets(IReadOnlyList<AccuracyResult> results, AccuracyOptions options)
    {
        const string Idle = "idle p99 <= 1 ms";
        const string Starved = "thread-pool starvation p99 <= 1 ms with 100,000 registrations";
        const string StarvedMax = "thread-pool starvation max <= 10 ms";
        const string Ratio = "thread-pool starvation: PeriodicTimer p99 / ours >= 1000";
        var idle = Find(results, "none", ours: true);
        var starved = Find(results, "threadpool", ours: true);
        var periodic = results.FirstOrDefault(r => r.Load == "threadpool" && r.Contender == "PeriodicTimer");
        if (idle is null && starved is null)
        {
            const string Why = "not run: our scheduler is not in this build, or loads none/threadpool were not selected";
            return [TargetCheck.NotMeasured(Idle, Why), TargetCheck.NotMeasured(Starved, Why), TargetCheck.NotMeasured(StarvedMax, Why), TargetCheck.NotMeasured(Ratio, Why)];
        }

        var note = options.Registrations < StarvationTargetRegistrations ? $" (this run: {options.Registrations:N0} registrations)" : string.Empty;
        return
        [
            idle is null ? TargetCheck.NotMeasured(Idle, "load none not selected") : TargetCheck.AtMost(Idle + Beside(results, "none"), idle.P99 / 1000.0, 1, " ms"),
            starved is null ? TargetCheck.NotMeasured(Starved, "load threadpool not selected") : TargetCheck.AtMost(Starved + note + Beside(results, "threadpool"), starved.P99 / 1000.0, 1, " ms"),
            starved is null ? TargetCheck.NotMeasured(StarvedMax, "load threadpool not selected") : TargetCheck.AtMost(StarvedMax + note, starved.Max / 1000.0, 10, " ms"),
            starved is null || periodic is null
                ? TargetCheck.NotMeasured(Ratio, "load threadpool not selected")
                : TargetCheck.AtLeast(Ratio, AccuracyReport.P99Ratio(results, periodic), 1000, "x"),
        ];
    }

    /// <summary>The dedicated PriorityQueue thread's p99 under the same load: what this machine lets a dedicated thread do at those instants.</summary>
    private static string Beside(IReadOnlyList<AccuracyResult> results, string load) =>
        results.FirstOrDefault(r => r.Load == load && r.Contender == Cost.PriorityQueueThreadContender.DisplayName) is { } dedicated
            ? FormattableString.Invariant($" (the PriorityQueue thread beside it, same instants: p99 {dedicated.P99 / 1000.0:0.###} ms)")
            : string.Empty;

    private static AccuracyResult? Find(IReadOnlyList<AccuracyResult> results, string load, bool ours) =>
        results.FirstOrDefault(r => r.Load == load && r.IsOurs == ours);
}

using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// <c>cost</c>: what running N periodic heartbeats costs the whole process, KeepAlive.Net against a dedicated
/// PriorityQueue thread, <see cref="Timer"/> and DotNetty's HashedWheelTimer (1 ms and 100 ms ticks), in one
/// process and one table; prints the table and the targets, writes cost.csv and cost.md to the results folder.
/// Returns 0 when it measured, 1 when it did not, or when a target was missed and <see cref="CostOptions.FailOnMiss"/> is set.
/// </summary>
internal static class CostMode
{
    public static int Run(CostOptions options, TextWriter output, List<CostResult>? collected = null)
    {
        output.WriteLine($"# Heartbeat cost: interval {options.Interval.TotalSeconds:0.###} s, warm-up {options.Warmup.TotalSeconds:0.#} s, window {options.Window.TotalSeconds:0.#} s, idle window {options.IdleWindow.TotalSeconds:0.#} s, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        output.WriteLine();
        output.WriteLine("Contenders run one after another, each alone in this process during its window. CPU is the whole process's (Environment.CpuUsage), allocations are every thread's (GC.GetTotalAllocatedBytes). The trivial callback records lateness and nothing else.");
        output.WriteLine();

        var results = new CostRunner(options, output).Run();
        collected?.AddRange(results);
        var table = CostReport.Markdown(results);
        var targets = CostTargets.From(results).ToList();
        output.WriteLine();
        output.WriteLine(table);

        Directory.CreateDirectory(options.OutputDirectory);
        var csv = Path.Combine(options.OutputDirectory, "cost.csv");
        var markdown = Path.Combine(options.OutputDirectory, "cost.md");
        File.WriteAllText(csv, CostReport.Csv(results));
        using (var file = new StreamWriter(markdown))
        {
            file.WriteLine(table);
            TargetCheck.Print(file, targets, "issue 8");
        }

        output.WriteLine($"Wrote {csv} and {markdown}.");
        TargetCheck.Print(output, targets, "issue 8");
        var missed = targets.Any(t => t.Status == TargetStatus.Miss);
        if (missed && options.FailOnMiss)
        {
            output.WriteLine("A target was missed and --fail-on-miss is set: exit code 1.");
            return 1;
        }

        return results.Count > 0 ? 0 : 1;
    }
}

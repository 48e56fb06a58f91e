using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cost;
using KeepAlive.Net.Benchmarks.Soak;
using AccuracyMode = KeepAlive.Net.Benchmarks.Accuracy.AccuracyMode;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>
/// <c>smoke</c>: for CI, in about a minute, checks the command line, then runs a tiny accuracy run (two loads,
/// 2 s each), a tiny cost run (1,000 registrations, 2 s window), a tiny soak (50 connections, 3 s), memory with
/// 10,000 registrations and every BenchmarkDotNet suite as an in-process dry job. It asserts that each ran and
/// produced rows and files, never how fast; exits 1 if any did not.
/// </summary>
internal static class SmokeMode
{
    public static int Run(TextWriter output)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"keepalive-benchmarks-smoke-{Environment.ProcessId}");
        (string Name, Func<bool> Ran)[] steps =
        [
            ("cli", () => CliSmoke.Run(output)),
            ("accuracy", () => Accuracy(folder, output)),
            ("cost", () => Cost(folder, output)),
            ("soak", () => SoakMode.Run(new SoakOptions(50, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(500), [SoakDriver.Parse(SoakDriver.SocketName), SoakDriver.Parse(SoakDriver.PacedName)], SoakRegistration.Burst, TimeSpan.FromSeconds(1), SoakPeerReads.Live), output)),
            ("soak, peer reading at stop", () => SoakMode.Run(new SoakOptions(50, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), [SoakDriver.Parse(SoakDriver.SocketName)], SoakRegistration.Burst, TimeSpan.FromSeconds(1), SoakPeerReads.AtStop), output)),
            ("memory", () => Heartbeats.MemoryMode.Run(10_000, output)),
            ("suite", () => Suite(output)),
        ];

        var failed = new List<string>();
        foreach (var (name, ran) in steps)
        {
            output.WriteLine($"== smoke: {name} (a tiny run: it proves the mode works; its numbers and targets are not measurements)");
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (!ran())
                {
                    failed.Add($"{name}: ran but did not produce what it must (rows, files or parse results; see its output above)");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failed.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }

            output.WriteLine($"== smoke: {name} took {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        }

        output.WriteLine();
        failed.ForEach(f => output.WriteLine($"FAILED {f}"));
        output.WriteLine($"smoke: {steps.Length - failed.Count} passed, {failed.Count} failed");
        return failed.Count == 0 ? 0 : 1;
    }

    private static bool Accuracy(string folder, TextWriter output)
    {
        var options = new AccuracyOptions(TimeSpan.FromSeconds(2), 200, 200, TimeSpan.FromMilliseconds(100), ["none", "threadpool"], folder);
        var results = AccuracyMode.Run(options, output);
        string[] files = ["accuracy.csv", "accuracy-distribution.csv", "accuracy.png"];
        return results.Count == options.Loads.Count * Contenders.All.Count
            && results.All(r => r.Histogram.Count > 0)
            && files.All(f => new FileInfo(Path.Combine(folder, f)) is { Exists: true, Length: > 0 });
    }

    private static bool Cost(string folder, TextWriter output)
    {
        var options = new CostOptions([1_000], TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), CostContenders.All, folder, 1, FailOnMiss: false)
        {
            Quiet = TimeSpan.FromMilliseconds(200),
        };
        var results = new List<CostResult>();
        var code = CostMode.Run(options, output, results);
        string[] files = ["cost.csv", "cost.md"];
        return code == 0
            && results.Count == options.Contenders.Count * 3
            && results.Where(r => r.Scenario != CostScenario.Empty).All(r => r.Delivered > 0)
            && files.All(f => new FileInfo(Path.Combine(folder, f)) is { Exists: true, Length: > 0 });
    }

    private static bool Suite(TextWriter output)
    {
        var config = DefaultConfig.Instance.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance));
        return SuiteMode.Run(["--filter", "*"], output, config) == 0;
    }
}

using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using KeepAlive.Net.Benchmarks.Suites;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>The BenchmarkDotNet suites through <see cref="BenchmarkSwitcher"/>, followed by the targets they measure.</summary>
internal static class SuiteMode
{
    private const double ConfigureKeepAliveLimit = 1.2;

    /// <summary>The <c>suites</c> command: every argument after it goes to BenchmarkDotNet unchanged.</summary>
    public static Command CreateCommand()
    {
        var command = new Command("suites", "The BenchmarkDotNet suites (ConfigureKeepAlive, Register+Dispose, Fire), then their targets. Every argument after 'suites' goes to BenchmarkDotNet: --filter '*', --list flat, --job short, ...")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(parse => Run([.. parse.UnmatchedTokens], Console.Out));
        return command;
    }

    public static int Run(string[] args, TextWriter output, IConfig? config = null)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(SuiteMode).Assembly).Run(args, config).ToList();
        var targets = Targets(summaries).ToList();
        targets.AddRange(Heartbeats.FireTargets.From(summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).ToList()));
        TargetCheck.Print(output, targets);
        var failed = summaries.Count == 0
            || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Length == 0 || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }

    private static IEnumerable<TargetCheck> Targets(List<Summary> summaries)
    {
        const string Target = "ConfigureKeepAlive within 1.2 x the raw syscalls (mean time ratio)";
        var raw = Mean(summaries, nameof(ConfigureKeepAliveBenchmarks.RawSocketOptions));
        var ours = Mean(summaries, nameof(ConfigureKeepAliveBenchmarks.ConfigureKeepAlive));
        yield return raw is { } r && ours is { } o
            ? TargetCheck.AtMost(Target, o / r, ConfigureKeepAliveLimit, "x")
            : TargetCheck.NotMeasured(Target, "ConfigureKeepAliveBenchmarks not selected");
    }

    private static double? Mean(List<Summary> summaries, string method) => summaries
        .SelectMany(s => s.Reports)
        .FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method && r.ResultStatistics is not null)
        ?.ResultStatistics!.Mean;
}

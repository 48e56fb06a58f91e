using BenchmarkDotNet.Running;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Soak;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>
/// Dispatches the first argument: <c>accuracy</c>, <c>soak</c>, <c>memory</c> (with the scheduler), <c>smoke</c> (and <c>soak-peer</c>, started by soak) run our own harnesses; anything
/// else goes to BenchmarkDotNet's <see cref="BenchmarkSwitcher"/> (for example <c>--filter *</c>).
/// </summary>
internal static class BenchmarkCli
{
    public static int Run(string[] args)
    {
        var mode = args.Length > 0 ? args[0].ToUpperInvariant() : string.Empty;
        var rest = args.Skip(1);
        try
        {
            return mode switch
            {
                "ACCURACY" => AccuracyMode.Run(AccuracyOptions.Parse(new CliArguments(rest)), Console.Out).Count > 0 ? 0 : 1,
                "SOAK" => SoakMode.Run(SoakOptions.Parse(new CliArguments(rest)), Console.Out) ? 0 : 1,
                "SOAK-PEER" => SoakPeer.Run(Console.In, Console.Out),
                "SMOKE" => SmokeMode.Run(Console.Out),
                "MEMORY" => Heartbeats.MemoryMode.Run(new CliArguments(rest).Allow("registrations").GetInt32("registrations", 1_000_000), Console.Out) ? 0 : 1,
                _ => SuiteMode.Run(args, Console.Out),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}

using System.CommandLine;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>The <c>cost</c> command.</summary>
internal static class CostCommand
{
    public static Command Create()
    {
        var sizes = CliOptions.List("--registrations", string.Join(',', CostOptions.DefaultSizes), CliOptions.ParsePositive, "Sizes to measure, one after another (write 1_000_000, not 1,000,000, inside the list).");
        var interval = CliOptions.Duration("--interval", TimeSpan.FromSeconds(1), "Period of every registration");
        var warmup = CliOptions.Duration("--warmup", TimeSpan.FromSeconds(3), "Time after the registrations ramp before the window opens");
        var window = CliOptions.Duration("--window", TimeSpan.FromSeconds(10), "Measured window per contender and size");
        var idleWindow = CliOptions.Duration("--idle-window", TimeSpan.FromSeconds(5), "Measured window of the idle (10 registrations) and empty rows");
        var contenders = CliOptions.List("--contenders", CostContenders.Names.Replace(" ", string.Empty, StringComparison.Ordinal), CostContenders.Check, $"Contenders, in this order: {CostContenders.Names}.");
        var output = new Option<string>("--out") { Description = "Folder for cost.csv and cost.md.", DefaultValueFactory = _ => "results" };
        var seed = CliOptions.Count("--seed", 1, "Seed of the random phases (the same draw for every contender).");
        var burst = new Option<bool>("--burst") { Description = "Register each size in a burst (a tight loop, as after a restart) instead of at random phases over one interval." };
        var failOnMiss = new Option<bool>("--fail-on-miss") { Description = "Exit 1 when a target is missed (by default a miss is reported, and the exit code is 0)." };
        var command = new Command("cost", "CPU, allocations, memory and lateness of N periodic heartbeats: KeepAlive.Net against a PriorityQueue thread, a hand-written thread paced every millisecond, System.Threading.Timer and DotNetty's HashedWheelTimer, in one process and one table.")
        {
            sizes, interval, warmup, window, idleWindow, contenders, output, seed, burst, failOnMiss,
        };
        command.SetAction(parse => CostMode.Run(
            new CostOptions(parse.GetValue(sizes)!, parse.GetValue(interval), parse.GetValue(warmup), parse.GetValue(window), parse.GetValue(idleWindow), [.. parse.GetValue(contenders)!.Select(CostContenders.Parse)], parse.GetValue(output)!, parse.GetValue(seed), parse.GetValue(failOnMiss)) { Burst = parse.GetValue(burst) },
            Console.Out));
        return command;
    }
}

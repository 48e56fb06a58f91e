using System.CommandLine;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>The <c>accuracy</c> command: its options and help.</summary>
internal static class AccuracyCommand
{
    public static Command Create()
    {
        var duration = CliOptions.Duration("--duration", TimeSpan.FromSeconds(20), "How long each load is measured");
        var registrations = CliOptions.Count("--registrations", AccuracyOptions.DefaultRegistrations, "Registrations in KeepAlive.Net's scheduler.");
        var baseline = CliOptions.Count("--baseline-registrations", AccuracyOptions.DefaultBaselineRegistrations, "At most this many registrations for each thread-pool baseline.");
        var interval = CliOptions.Duration("--interval", TimeSpan.FromSeconds(1), "Heartbeat interval");
        var loads = CliOptions.List("--load", Loads.Loads.AllNames, Loads.Loads.Check, $"Loads to run, one after another: {Loads.Loads.AllNames}.");
        var output = new Option<string>("--out") { Description = "Folder for accuracy.csv, accuracy-distribution.csv and accuracy.png.", DefaultValueFactory = _ => "results" };
        var command = new Command("accuracy", "Heartbeat lateness of KeepAlive.Net and the thread-pool timers side by side, under each load.")
        {
            duration, registrations, baseline, interval, loads, output,
        };
        command.SetAction(parse => AccuracyMode.Run(
            new AccuracyOptions(parse.GetValue(duration), parse.GetValue(registrations), parse.GetValue(baseline), parse.GetValue(interval), parse.GetValue(loads)!, parse.GetValue(output)!),
            Console.Out).Count > 0 ? 0 : 1);
        return command;
    }
}

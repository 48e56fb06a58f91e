using System.CommandLine;
using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Cost;
using KeepAlive.Net.Benchmarks.Heartbeats;
using KeepAlive.Net.Benchmarks.Soak;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>
/// The command line, parsed with System.CommandLine: one command per mode (<c>accuracy</c>, <c>cost</c>,
/// <c>soak</c>, <c>memory</c>, <c>smoke</c>, <c>suites</c>), each with <c>--help</c>. A parse error (an unknown
/// option, a bare-number duration, a bad list item) is printed with the mode's name and exits 2; a mode's own
/// <see cref="ArgumentException"/> also exits 2.
/// </summary>
internal static class BenchmarkCli
{
    public const int UsageError = 2;

    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("KeepAlive.Net benchmarks. Run a mode with --help to see its options, for example: accuracy --help.")
        {
            AccuracyCommand.Create(),
            CostCommand.Create(),
            SoakCommand.Create(),
            SoakCommand.CreatePeer(),
            MemoryCommand.Create(),
            SmokeCommand(),
            SuiteMode.CreateCommand(),
        };
        return root;
    }

    public static int Run(string[] args)
    {
        var parse = CreateRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine(error.Message);
            }

            Console.Error.WriteLine($"Run '{parse.CommandResult.Command.Name} --help' for the options.");
            return UsageError;
        }

        try
        {
            return parse.Invoke();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return UsageError;
        }
    }

    private static Command SmokeCommand()
    {
        var command = new Command("smoke", "For CI: every mode in a tiny run (seconds each), asserting that it ran and produced rows and files, never how fast.");
        command.SetAction(_ => SmokeMode.Run(Console.Out));
        return command;
    }
}

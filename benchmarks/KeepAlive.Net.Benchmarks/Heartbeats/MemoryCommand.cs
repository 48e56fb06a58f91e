using System.CommandLine;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>The <c>memory</c> command.</summary>
internal static class MemoryCommand
{
    public static Command Create()
    {
        var registrations = CliOptions.Count("--registrations", 1_000_000, "Registrations to measure (1 h interval, nothing fires).");
        var command = new Command("memory", "Managed bytes per registration in KeepAlive.Net's scheduler against a periodic System.Threading.Timer.") { registrations };
        command.SetAction(parse => MemoryMode.Run(parse.GetValue(registrations), Console.Out) ? 0 : 1);
        return command;
    }
}

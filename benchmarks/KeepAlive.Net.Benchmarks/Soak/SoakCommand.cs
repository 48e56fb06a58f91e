using System.CommandLine;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>The <c>soak</c> command and the hidden <c>soak-peer</c> command it starts in a second process.</summary>
internal static class SoakCommand
{
    public static Command Create()
    {
        var connections = CliOptions.Count("--connections", 10_000, "Loopback TCP connections, each heartbeating.");
        var duration = CliOptions.Duration("--duration", TimeSpan.FromSeconds(60), "How long the connections heartbeat");
        var interval = CliOptions.Duration("--interval", TimeSpan.FromSeconds(1), "Heartbeat interval per connection");
        var driver = CliOptions.Value("--driver", SoakDriver.Parse(SoakDriver.SocketName), SoakDriver.Parse, $"What sends the heartbeats: {SoakDriver.Names} ({SoakDriver.SocketName} is KeepAlive.Net's built-in socket heartbeat).");
        var baseline = CliOptions.Duration("--send-baseline", TimeSpan.FromSeconds(3), "How long the bare-send baseline runs after the heartbeats, at most 20 sends per connection");
        var command = new Command("soak", "Real loopback TCP connections to a peer process, heartbeating for the duration; CPU per heartbeat against the bare send, and nothing lost.")
        {
            connections, duration, interval, driver, baseline,
        };
        command.SetAction(parse => SoakMode.Run(
            new SoakOptions(parse.GetValue(connections), parse.GetValue(duration), parse.GetValue(interval), parse.GetValue(driver)!, parse.GetValue(baseline)),
            Console.Out) ? 0 : 1);
        return command;
    }

    public static Command CreatePeer()
    {
        var command = new Command("soak-peer", "The far side of the soak; started by soak, talks over standard input and output.") { Hidden = true };
        command.SetAction(_ => SoakPeer.Run(Console.In, Console.Out));
        return command;
    }
}

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
        var drivers = CliOptions.List("--drivers", $"{SoakDriver.SocketName},{SoakDriver.PacedName}", SoakDriver.Parse, $"What sends the heartbeats, each measured alone in turn on the same connections: {SoakDriver.Names} ({SoakDriver.SocketName} is KeepAlive.Net's built-in socket heartbeat, {SoakDriver.PacedName} the hand-written one).");
        var registration = CliOptions.Value("--registration", SoakRegistration.Burst, static text => Enum.TryParse<SoakRegistration>(text, ignoreCase: true, out var mode) && Enum.IsDefined(mode) ? mode : throw new ArgumentException($"Unknown registration '{text}': use burst or spread."), "How the connections are registered: burst (all at once, as after a restart) or spread (over one interval).");
        var baseline = CliOptions.Duration("--send-baseline", TimeSpan.FromSeconds(3), "How long the bare-send baseline runs after the heartbeats, at most 20 sends per connection");
        var peerReads = CliOptions.Value("--peer-reads", SoakPeerReads.Live, ParsePeerReads, "When the peer process reads: live (as data arrives; on loopback its wake-ups are charged to the sender) or at-stop (nothing until the soak stops, like a peer on another host).");
        var command = new Command("soak", "Real loopback TCP connections to a peer process, heartbeating for the duration with each driver in turn; lateness, CPU per heartbeat against the hand-written heartbeat and the bare send, memory per connection, and nothing lost.")
        {
            connections, duration, interval, drivers, registration, baseline, peerReads,
        };
        command.SetAction(parse => SoakMode.Run(
            new SoakOptions(parse.GetValue(connections), parse.GetValue(duration), parse.GetValue(interval), parse.GetValue(drivers)!, parse.GetValue(registration), parse.GetValue(baseline), parse.GetValue(peerReads)),
            Console.Out) ? 0 : 1);
        return command;
    }

    public static Command CreatePeer()
    {
        var command = new Command("soak-peer", "The far side of the soak; started by soak, talks over standard input and output.") { Hidden = true };
        var reads = new Argument<string>("reads") { Description = "live or at-stop", DefaultValueFactory = _ => Format(SoakPeerReads.Live) };
        command.Arguments.Add(reads);
        command.SetAction(parse => SoakPeer.Run(Console.In, Console.Out, ParsePeerReads(parse.GetValue(reads)!)));
        return command;
    }

    /// <summary>Parses a spelling of <see cref="Format"/> (<c>live</c> or <c>at-stop</c>).</summary>
    public static SoakPeerReads ParsePeerReads(string text)
    {
        var spellings = Enum.GetValues<SoakPeerReads>();
        foreach (var reads in spellings)
        {
            if (string.Equals(Format(reads), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return reads;
            }
        }

        throw new ArgumentException($"Unknown peer reads '{text}': use {string.Join(" or ", spellings.Select(Format))}.");
    }

    /// <summary>The command-line spelling of <paramref name="reads"/>: the one place it is written.</summary>
    public static string Format(SoakPeerReads reads) => reads == SoakPeerReads.AtStop ? "at-stop" : "live";
}

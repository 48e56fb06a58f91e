using System.CommandLine;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Show;

/// <summary><c>keepalive show</c>: what this machine does, and what a profile or flags would make of it.</summary>
internal static class ShowCommand
{
    public static Command Create(ToolConsole console)
    {
        var profile = new ProfileArguments();
        var heartbeat = Durations.Option<HeartbeatOptions>("--heartbeat-interval", "The heartbeat's period to compare with --peer-idle-timeout", ProfileArguments.HeartbeatIntervalSetting);
        var command = new Command("show", "Show this machine's keep-alive defaults and what a profile or flags would apply.");
        profile.AddTo(command);
        command.Options.Add(heartbeat);
        command.SetAction(result => Run(console, profile.Resolve(result, (heartbeat, result.GetValue(heartbeat)))));
        return command;
    }

    private static int Run(ToolConsole console, ResolvedProfile? profile)
    {
        var ansi = console.Ansi;
        var capabilities = KeepAliveCapabilities.Current;
        var kernel = KernelDefaults.Read();
        ansi.Write(Tables.Machine(capabilities, kernel));

        using (var fresh = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            ansi.Write(Tables.Settings("A fresh socket reports", fresh.GetKeepAlive()));
        }

        ansi.Write(Tables.Capabilities(capabilities));
        if (profile is not { } chosen)
        {
            ansi.Line("Give --settings appsettings.json --profile NAME, or --idle/--interval/--count, to see what the library would apply.");
            return ExitCodes.Fine;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var applied = socket.ConfigureKeepAlive(chosen.Options.Tcp);
        ansi.Write(Tables.Applied(chosen.Name, applied));
        foreach (var line in Detection.Describe(applied, chosen.Options, kernel, chosen.JudgesHeartbeat))
        {
            ansi.Line(line);
        }

        return ExitCodes.Fine;
    }
}

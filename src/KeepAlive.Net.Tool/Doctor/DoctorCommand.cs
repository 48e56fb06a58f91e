using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// <c>keepalive doctor --pid PID</c>: every TCP connection of a running process, its keep-alive as the kernel holds it,
/// and whether it beats the peer idle timeout. Exit 0 when all are protected, 1 when one is not, 2 on bad input, 3 when there was no connection to judge.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(ToolConsole console)
    {
        var pid = new Option<int>("--pid")
        {
            Description = "The process to inspect (Linux; root reads every value, see 'what needs privilege' in docs/TOOL.md).",
            HelpName = "pid",
            Required = true,
            CustomParser = static result => int.TryParse(Durations.Text(result), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                ? id
                : Durations.Fail<int>(result, "--pid", $"'{Durations.Text(result)}' is not a process id. Fix: give the number 'ps -e' or 'pgrep NAME' shows, for example --pid 1234."),
        };
        // Not ProfileArguments.PeerIdleTimeout: here it is what connections are judged against, not a value set on the profile.
        var peer = new Option<PeerIdleTimeout?>("--peer-idle-timeout")
        {
            Description = $"The idle timeout to judge against: a preset ({string.Join(", ", PeerIdleTimeout.Presets.Select(static p => p.PresetName))}) or a duration such as 350s, {Durations.RangeOf<HeartbeatOptions>(ProfileArguments.PeerIdleTimeoutSetting)}. Default: the profile's, else {DoctorReference.Default.PresetName} ({Units.Time(DoctorReference.Default.Value)}), the shortest common one.",
            HelpName = "preset|duration",
            CustomParser = static result => PeerIdleTimeout.TryParse(Durations.Text(result), out var value, out var error)
                ? value
                : Durations.Fail<PeerIdleTimeout?>(result, "--peer-idle-timeout", error),
        };
        var profile = new ProfileArguments();
        var json = JsonOutput.Option();
        var command = new Command("doctor", "Read the keep-alive of every TCP connection of a running process from the kernel and say which are unprotected against the peer idle timeout, and the fix.")
        {
            pid, peer, profile.Settings, profile.Profile, json,
        };
        // Reading a process holding many sockets stops at the next descriptor.
        ToolApp.SetBlockingAction(command, (result, cancellationToken) =>
            Run(console, result.GetValue(pid), result.GetValue(peer), profile.Resolve(result), result.GetValue(json), cancellationToken));
        return command;
    }

    private static int Run(ToolConsole console, int pid, PeerIdleTimeout? peerText, ResolvedProfile? profile, bool json, CancellationToken cancellationToken)
    {
        console.Platform.RequireLinux("doctor", "reads another process's sockets through /proc and pidfd_getfd");

        var reference = Reference(peerText, profile);
        var process = ProcessSockets.Read(pid, cancellationToken: cancellationToken);
        var kernel = KernelDefaults.Read();
        var connections = process.Sockets.Select(s => (Socket: s, Verdict: ConnectionVerdict.Judge(s, reference, kernel))).ToList();
        var report = new DoctorReport(process, reference, connections);
        if (json)
        {
            DoctorReport.WriteJson(console.Out, report);
        }
        else
        {
            report.WriteText(console.Ansi);
        }

        if (process.Limitation is { } limitation && report.Unknown > 0)
        {
            console.Error.WriteLine("warning: " + limitation + ".");
        }

        if (json && report.NothingToJudge is { } nothing)
        {
            console.Error.WriteLine(nothing);
        }

        return report.ExitCode;
    }

    private static DoctorReference Reference(PeerIdleTimeout? given, ResolvedProfile? profile)
    {
        KeepAliveSettings? applied = null;
        if (profile is { } chosen)
        {
            using var fresh = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            applied = fresh.ConfigureKeepAlive(chosen.Options.Tcp);
        }

        var (peer, source) = given is { } flag
            ? (flag, "--peer-idle-timeout")
            : profile?.Options.Heartbeat.PeerIdleTimeout is { } fromProfile
                ? (fromProfile, $"profile '{profile.Name}'")
                : (DoctorReference.Default, "none given: the shortest common one");
        return new DoctorReference(peer, peer.PresetName is { } preset ? $"{preset}, {source}" : source, profile?.Name, profile?.Options, applied);
    }
}

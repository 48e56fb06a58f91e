using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Check;

/// <summary><c>keepalive check HOST:PORT</c>: connect, apply the settings, hold the connection and watch it live.</summary>
internal static class CheckCommand
{
    private static readonly KeepAliveRangeAttribute HoldRange = new("1s", "7d")
    {
        Example = "30s",
        MinimumReason = "the connection is watched once a second, so a shorter hold sees nothing of it.",
        MaximumReason = "a check is a watch, not a service: hold a connection for longer with the library itself.",
    };

    private static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(1);

    public static Command Create(ToolConsole console)
    {
        var endpoint = HostAndPort.Argument("HOST:PORT to connect to, e.g. example.com:443 or [::1]:5000.");
        var profile = new ProfileArguments();
        var heartbeat = new Option<string?>("--heartbeat") { Description = "Send this text as an application heartbeat, on a dedicated thread, and measure its lateness.", HelpName = "text" };
        var every = Durations.Option<HeartbeatOptions>("--every", "The period of --heartbeat (default: the Heartbeat:Interval of the --settings profile, else 1s)", ProfileArguments.HeartbeatIntervalSetting);
        var hold = Durations.Option("--hold", "How long to hold the connection (default 30s).", HoldRange);
        var capture = new Option<FileInfo?>("--capture")
        {
            Description = "Record the connection's packets to this pcap file (libpcap; needs root or CAP_NET_RAW).",
            HelpName = "file",
            CustomParser = static result => Paths.ParseToWrite(result, "--capture", "--capture /tmp/check.pcap"),
        };
        var command = new Command("check", "Connect, apply keep-alive settings, and watch the connection live until it dies or --hold passes.") { endpoint, heartbeat, every, hold, capture };
        heartbeat.Validators.Add(static result =>
        {
            if (string.IsNullOrEmpty(result.GetValueOrDefault<string?>()))
            {
                result.AddError(Refusals.Text("--heartbeat", "the text is empty, so nothing would be sent.", "give the text to send, for example --heartbeat ping."));
            }
        });
        command.Validators.Add(result =>
        {
            if (result.GetResult(every) is not null && result.GetResult(heartbeat) is null)
            {
                result.AddError(Refusals.Text("--every", "it sets the period of --heartbeat, which is not given.", "add --heartbeat TEXT, or drop --every."));
            }
        });
        profile.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            // The heartbeat check sends is the profile's: its period is Heartbeat:Interval, validated and described as such.
            var resolved = profile.Resolve(result, result.GetValue(heartbeat) is null ? null : (every, result.GetValue(every) ?? DefaultPeriod));
            return RunAsync(console, new CheckRequest(
                result.GetValue(endpoint)!,
                resolved,
                result.GetValue(heartbeat),
                result.GetValue(hold) ?? TimeSpan.FromSeconds(30),
                result.GetValue(capture)), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(ToolConsole console, CheckRequest request, CancellationToken cancellationToken)
    {
        var address = await Target.ResolveAsync(request.Target, cancellationToken);
        var peer = new IPEndPoint(address, request.Target.Port);
        var tcp = request.Profile?.Options.Tcp ?? new TcpKeepAliveOptions();
        using var recorder = request.Capture is { } file ? PacketRecorder.Start(file.FullName, peer) : null;
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await Target.ConnectAsync(socket, peer, request.Target, cancellationToken);
        var applied = socket.ConfigureKeepAlive(tcp);
        console.Ansi.Write(Tables.Settings($"{socket.LocalEndPoint} -> {peer}: read back", applied));
        console.Ansi.Write(Tables.Applied(request.Profile?.Name ?? "library defaults", applied));
        var kernel = KernelDefaults.Read();
        var profile = request.Profile?.Options ?? new KeepAliveProfileOptions();
        // Without a profile there is no peer idle timeout to judge a heartbeat against.
        foreach (var line in Detection.Describe(applied, profile, kernel, heartbeat: request.Profile?.JudgesHeartbeat ?? true))
        {
            await console.Out.WriteLineAsync(line);
        }

        var outcome = await new ConnectionWatch(console, socket, applied, kernel, request).RunAsync(cancellationToken);
        await console.Out.WriteLineAsync(outcome.Describe());
        if (recorder is not null)
        {
            recorder.Dispose();
            await console.Out.WriteLineAsync($"Recorded {recorder.Packets} packets to {request.Capture!.FullName}; read them with 'keepalive analyze {request.Capture.FullName}'.");
        }

        return outcome.ExitCode;
    }
}

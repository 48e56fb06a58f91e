using System.Globalization;
using System.Net;
using System.Text.Json;
using KeepAlive.Net.Tool.Cli;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>What <c>doctor</c> found, as a table and verdict lines, or as <c>--json</c>.</summary>
internal sealed class DoctorReport(ProcessSockets process, DoctorReference reference, IReadOnlyList<(SocketReading Socket, ConnectionVerdict Verdict)> connections)
{
    private const string NotApplicableKinds = "listening, connecting, closing, closed or never connected";

    public int Protected => connections.Count(static c => c.Verdict.Protected == true);

    public int Unprotected => connections.Count(static c => c.Verdict.Protected == false);

    public int Unknown => connections.Count(static c => c.Verdict is { Protected: null, Applicable: true });

    public int NotApplicable => connections.Count(static c => !c.Verdict.Applicable);

    /// <summary>
    /// Gets the exit code: <see cref="ExitCodes.Finding"/> when a connection is unprotected, else
    /// <see cref="ExitCodes.BadInput"/> when one's values could not be read, else <see cref="ExitCodes.NothingToJudge"/>
    /// when none could be judged, else <see cref="ExitCodes.Fine"/>.
    /// </summary>
    public int ExitCode => Unprotected > 0 ? ExitCodes.Finding
        : Unknown > 0 ? ExitCodes.BadInput
        : NothingToJudge is not null ? ExitCodes.NothingToJudge
        : ExitCodes.Fine;

    /// <summary>
    /// Gets what to say when no connection could be judged (none, or every socket not applicable), else
    /// <see langword="null"/>: that is no "all protected", and ends with <see cref="ExitCodes.NothingToJudge"/>.
    /// </summary>
    public string? NothingToJudge => connections.Any(static c => c.Verdict.Applicable)
        ? null
        : string.Create(CultureInfo.InvariantCulture,
            $"Nothing to judge: process {process.Pid} ({process.Command}) {(connections.Count == 0 ? "holds no TCP socket" : $"holds {Units.Count(connections.Count, "TCP socket")}, but no connection that can be judged ({NotApplicable} not applicable: {NotApplicableKinds})")}, so nothing was checked. Fix: give the pid of the process that holds the connections (not a shell or launcher that started it), or run doctor again while it is connected. Exit code {ExitCodes.NothingToJudge}.");

    /// <summary>"ip:port" with IPv4-mapped IPv6 addresses written as IPv4, or <see langword="null"/> when there is none (a listener's peer).</summary>
    public static string? Endpoint(IPEndPoint? endpoint) =>
        endpoint is null || (endpoint.Port == 0 && (endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)))
            ? null
            : endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port).ToString() : endpoint.ToString();

    /// <summary>
    /// The socket's own address for the table, or "unbound" for one created and never bound (getsockname reads 0.0.0.0:0),
    /// which an empty column would show as an address that could not be read (JSON keeps its contract: <see langword="null"/>).
    /// </summary>
    public static string Local(SocketReading socket) => Endpoint(socket.Local) ?? "unbound";

    /// <summary>
    /// What the summary line says of a non-zero <see cref="ExitCode"/>, as check and probe-idle end theirs; 3 is said by
    /// the <see cref="NothingToJudge"/> line after it, and 0 needs no word.
    /// </summary>
    private string ExitCodeSays => ExitCode switch
    {
        ExitCodes.Finding => $" Exit code {ExitCodes.Finding}.",
        ExitCodes.BadInput => $" Exit code {ExitCodes.BadInput}: the keep-alive of {Units.Count(Unknown, "connection")} could not be read, so {(Unknown == 1 ? "it is" : "they are")} not known to be protected.",
        _ => string.Empty,
    };

    public void WriteText(IAnsiConsole console)
    {
        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"Process {process.Pid} ({process.Command}): {Units.Count(connections.Count, "TCP socket")}, judged against a peer idle timeout of {KeepAliveDuration.Format(reference.Peer.Value)} ({reference.PeerSource})."));
        if (connections.Count > 0)
        {
            var table = Plain.Table(null, "fd", "local -> remote", "state", "keep-alive", "idle / interval / count", "user timeout", "idle for (sent / received)", "verdict");
            foreach (var (socket, verdict) in connections)
            {
                var settings = socket.Settings;
                table.Row(
                    Units.Number(socket.Fd),
                    $"{Local(socket)} -> {Endpoint(socket.Remote) ?? "*"}",
                    socket.State,
                    settings is null ? socket.Proc?.KeepAliveFromTimer switch { true => "on (timer)", false => "off (timer)", _ => "unknown" } : settings.Enabled ? "on" : "off",
                    settings is null ? "unreadable" : $"{Units.Time(settings.IdleTime)} / {Units.Time(settings.Interval)} / {Units.Number(settings.ProbeCount)}",
                    settings is null ? "unreadable" : Show.Tables.UserTimeout(settings.UserTimeout),
                    ConnectionInfo(socket) is { } info ? $"{Units.Time(IdleFor(info))} ({Units.Time(info.SinceLastDataSent)} / {Units.Time(info.SinceLastDataReceived)})" : socket.Info is null ? "unreadable" : "n/a",
                    verdict.Summary + (verdict.Profile is { } p ? $" ({p})" : string.Empty));
            }

            console.Write(table);
        }

        foreach (var (socket, verdict) in connections.Where(static c => c.Verdict.Applicable))
        {
            console.Line($"fd {Units.Number(socket.Fd)} {Local(socket)} -> {Endpoint(socket.Remote)}: {verdict.Text}{(verdict.Fix is { } fix ? ". Fix: " + fix : string.Empty)}.",
                verdict.Protected switch { true => Color.Green, false => Color.Red, _ => Color.Yellow });
        }

        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"{Unprotected} unprotected, {Protected} protected, {Unknown} unknown, {NotApplicable} not applicable ({NotApplicableKinds}).{ExitCodeSays}"));
        if (NothingToJudge is { } nothing)
        {
            console.Line(nothing, Color.Yellow);
        }

        if (process.Limitation is { } limitation)
        {
            console.Line("What could not be read: " + limitation + ".", Color.Yellow);
        }
    }

    public static void WriteJson(TextWriter output, DoctorReport report) => JsonOutput.Write(output, json =>
    {
        json.WriteNumber("pid", report.Process.Pid);
        json.WriteString("command", report.Process.Command);
        json.WriteStartObject("peerIdleTimeout");
        json.Seconds("seconds", report.Reference.Peer.Value);
        json.StringOrNull("preset", report.Reference.Peer.PresetName);
        json.WriteString("source", report.Reference.PeerSource);
        json.WriteEndObject();
        json.WriteStartArray("connections");
        foreach (var (socket, verdict) in report.Connections)
        {
            WriteConnection(json, socket, verdict);
        }

        json.WriteEndArray();
        json.WriteNumber("unprotected", report.Unprotected);
        json.WriteNumber("protected", report.Protected);
        json.WriteNumber("unknown", report.Unknown);
        json.WriteNumber("notApplicable", report.NotApplicable);
        json.StringOrNull("limitation", report.Process.Limitation);
    });

    private ProcessSockets Process => process;

    private DoctorReference Reference => reference;

    private IReadOnlyList<(SocketReading Socket, ConnectionVerdict Verdict)> Connections => connections;

    // TCP_INFO's idle times count from the connection: a listener, a socket never connected (no peer) or one still
    // connecting has none, only the time since jiffies 0.
    private static Check.TcpInfoSnapshot? ConnectionInfo(SocketReading socket) => Endpoint(socket.Remote) is null || socket.State == "SYN_SENT" ? null : socket.Info;

    private static TimeSpan IdleFor(Check.TcpInfoSnapshot info) =>
        info.SinceLastDataSent < info.SinceLastDataReceived ? info.SinceLastDataSent : info.SinceLastDataReceived;

    private static void WriteConnection(Utf8JsonWriter json, SocketReading socket, ConnectionVerdict verdict)
    {
        var settings = socket.Settings;
        var info = ConnectionInfo(socket);
        json.WriteStartObject();
        json.WriteNumber("fd", socket.Fd);
        json.StringOrNull("local", Endpoint(socket.Local)); // null for a socket never bound: the contract's "ip:port or null", as for "remote"
        json.StringOrNull("remote", Endpoint(socket.Remote));
        json.WriteString("state", socket.State);
        json.BooleanOrNull("keepAlive", settings?.Enabled ?? socket.Proc?.KeepAliveFromTimer);
        json.Seconds("idle", settings?.IdleTime);
        json.Seconds("interval", settings?.Interval);
        json.NumberOrNull("count", settings?.ProbeCount);
        json.Seconds("userTimeout", settings?.UserTimeout);
        json.Seconds("idleFor", info is null ? null : IdleFor(info));
        json.Seconds("idleSent", info?.SinceLastDataSent);
        json.Seconds("idleReceived", info?.SinceLastDataReceived);
        json.Seconds("deadPeerAfter", settings?.DeadPeerDetectionTime);
        json.BooleanOrNull("protected", verdict.Protected);
        json.WriteString("verdict", verdict.Text);
        json.StringOrNull("fix", verdict.Fix);
        json.StringOrNull("profile", verdict.Profile);
        json.WriteString("readFrom", settings is not null ? "kernel (pidfd_getfd + getsockopt)" : "/proc/PID/net/tcp (no privilege)");
        json.WriteEndObject();
    }
}

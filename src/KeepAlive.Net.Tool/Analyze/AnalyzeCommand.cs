using System.CommandLine;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary><c>keepalive analyze FILE</c>: every TCP flow in a capture, its keep-alive probes, data gaps, end and verdict.</summary>
internal static class AnalyzeCommand
{
    // A period in a capture: anything a clock in a pcap can show, from a millisecond to a week.
    private static readonly KeepAliveRangeAttribute CaptureRange = new("1ms", "7d")
    {
        Example = "30s",
        MinimumReason = "no heartbeat or idle timeout is shorter, and a loopback round trip alone takes tens of microseconds.",
        MaximumReason = "no heartbeat or idle timeout is longer (the longest common one, Linux conntrack's for an established flow, is 5 days).",
    };

    // How to capture a connection whole: every packet of its port, both ways, on any interface.
    private const string WholeCapture = "'tcpdump -i any -w FILE tcp port 5000'";

    public static Command Create(ToolConsole console)
    {
        var file = new Argument<FileInfo>("file")
        {
            Description = "A .pcap or .pcapng capture, e.g. from 'tcpdump -w FILE' or 'keepalive check --capture FILE'.",
            CustomParser = static result => Paths.ParseToRead(result, "FILE", "keepalive analyze capture.pcap")!,
        };
        var heartbeat = Durations.Option("--heartbeat-interval", "The application's heartbeat period; data that leaves 1.5 times this after the previous data is a late heartbeat.", CaptureRange);
        var idleTimeout = Durations.IdleTimeoutOption("--idle-timeout", "The idle timeout of the peer or a middlebox (NAT, load balancer); a flow silent this long is reported as killed.", CaptureRange);
        var json = JsonOutput.Option();
        var command = new Command("analyze", "Find keep-alive probes, late heartbeats and idle-timeout kills in a packet capture.") { file, heartbeat, idleTimeout, json };
        // Reading a large capture stops at the next frame.
        ToolApp.SetBlockingAction(command, (result, cancellationToken) =>
            Run(console, result.GetValue(file)!, new AnalysisSettings(result.GetValue(heartbeat), result.GetValue(idleTimeout)), result.GetValue(json), cancellationToken));
        return command;
    }

    internal static int Run(ToolConsole console, FileInfo file, AnalysisSettings settings, bool json, CancellationToken cancellationToken)
    {
        var capture = CaptureFile.Read(file.FullName, cancellationToken);
        var flows = FlowAnalyzer.Analyze(capture.Segments, settings);
        if (capture.TruncationReason is { } reason)
        {
            // libpcap reads one link type per file; Wireshark capturing on several interfaces writes one per interface. Any
            // other record libpcap refuses before the end is damage: nothing after it is read.
            var fix = reason.Contains("interface has a type", StringComparison.Ordinal)
                ? " Fix: capture again on one interface, or on all of them at once with 'tcpdump -i any -w FILE' (one link type); libpcap reads one link type per file."
                : capture.Cut
                    ? " Fix: let the capture end before reading it: stop tcpdump with Ctrl-C or SIGTERM (not SIGKILL), and read the file once tcpdump has exited; 'tcpdump -U' writes each packet whole as it comes."
                    : $" Fix: the file is damaged after its first {Units.Count(capture.Frames, "frame")}, where libpcap reads no further; record the capture again, or open it in Wireshark and save the frames it can read as pcap.";
            console.Error.WriteLine($"warning: {capture.Stopped(file.Name)}; the analysis covers what is there.{fix}");
        }

        if (capture.Undecodable > 0)
        {
            var why = capture.UnknownLinkType is { } linkType
                ? $"of link type {linkType}, which analyze cannot decode (it reads {CaptureFile.ReadableLinkTypesText})"
                : "too short or malformed for their headers";
            var fix = capture.UnknownLinkType is null ? string.Empty : " Fix: capture again with tcpdump on Linux ('tcpdump -i any -w FILE') or on an Ethernet interface.";
            console.Error.WriteLine($"warning: {Units.Count(capture.Undecodable, "frame")} of {file.Name} could not be decoded, {why} (the first is frame {capture.FirstUndecodable}); the analysis leaves them out.{fix}");
        }

        if (json)
        {
            AnalysisJson.Write(console.Out, flows, capture);
        }
        else
        {
            AnalysisText.Write(console.Ansi, file.Name, flows, capture);
        }

        if (capture.Truncated || capture.UnknownLinkType is not null)
        {
            return ExitCodes.BadInput;
        }

        if (flows.Count == 0)
        {
            // A capture that missed the connection (another interface, host or port, a filter it never matched) holds
            // nothing to judge: "no finding" would read as a clean connection.
            return NothingToJudge(console, json, $"Nothing to judge: {file.Name} holds no TCP segment ({Units.Count(capture.Frames, "frame")}, none of them TCP over IPv4 or IPv6), so no flow was analysed. Fix: capture where the connection's packets pass, on its interface and with its host and port, e.g. {WholeCapture}.");
        }

        if (flows.Any(static f => f.Finding))
        {
            return ExitCodes.Finding;
        }

        // Every flow captured one way: no peer's answers could be seen, so no connection was judged alive or dead.
        return flows.All(static f => f.OnlyFrom is not null)
            ? NothingToJudge(console, json, $"Nothing to judge: {file.Name} holds one direction only of {(flows.Count == 1 ? "its TCP flow" : $"each of its {Units.Count(flows.Count, "TCP flow")}")}, so whether a peer answered, and so whether it is alive, was not judged. Fix: capture both directions, without a filter on the source or destination alone, e.g. {WholeCapture}.")
            : ExitCodes.Fine;
    }

    /// <summary>Says why nothing was judged (on standard error with <c>--json</c>) and returns <see cref="ExitCodes.NothingToJudge"/>.</summary>
    private static int NothingToJudge(ToolConsole console, bool json, string sentence)
    {
        var nothing = $"{sentence} Exit code {ExitCodes.NothingToJudge}.";
        if (json)
        {
            console.Error.WriteLine(nothing);
        }
        else
        {
            console.Ansi.Line(nothing, Spectre.Console.Color.Yellow);
        }

        return ExitCodes.NothingToJudge;
    }
}

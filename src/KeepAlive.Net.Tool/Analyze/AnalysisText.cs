using System.Globalization;
using KeepAlive.Net.Tool.Cli;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>The human form of <c>analyze</c>: a table of flows and a verdict line per flow.</summary>
internal static class AnalysisText
{
    public static void Write(IAnsiConsole console, string name, IReadOnlyList<FlowReport> flows, CaptureContents capture)
    {
        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {Units.Count(capture.Frames, "frame")}, {Units.Count(flows.Count, "TCP flow")}{(capture.Truncated ? capture.Cut ? " (the file is cut off)" : " (libpcap stopped reading it)" : string.Empty)}"));
        if (flows.Count == 0)
        {
            return;
        }

        var table = Plain.Table(null, "client -> server", "packets", "probes", "answered", "unanswered", "probe interval", "first probe", "max data gap", "late", "end");
        foreach (var flow in flows)
        {
            table.Row(
                flow.Client + " -> " + flow.Server + Roles.Mark(flow.RolesGuessed), Units.Number(flow.Packets), Units.Number(flow.KeepAliveProbes), Units.Number(flow.AnsweredProbes),
                Units.Number(flow.UnansweredProbes),
                Units.Seconds(flow.ProbeInterval), Units.Seconds(flow.FirstProbeAfterIdle), Units.Seconds(flow.MaxDataGap),
                Units.Number(flow.LateHeartbeats.Count), flow.End + (flow.EndAfterIdle is { } idle ? " after " + Units.Seconds(idle) + " idle" : string.Empty));
        }

        console.Write(table);
        foreach (var flow in flows)
        {
            console.Line($"{flow.Client} -> {flow.Server}{Roles.Mark(flow.RolesGuessed)}: {flow.Verdict}", flow.Finding ? Color.Red : Color.Green);
            if (flow.RolesGuessed)
            {
                console.Line($"  client and server: {flow.RolesBasis}.", Color.Yellow);
            }
            foreach (var late in flow.LateHeartbeats)
            {
                console.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  late heartbeat at {Units.Seconds(late.At)} (frame {late.Frame}) from {late.From}: gap {Units.Seconds(late.Gap)}, {Units.Seconds(late.Late)} late"));
            }
        }
    }
}

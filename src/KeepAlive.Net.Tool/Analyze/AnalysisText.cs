using System.Globalization;
using Spectre.Console;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>The human form of <c>analyze</c>: a table of flows and a verdict line per flow.</summary>
internal static class AnalysisText
{
    public static void Write(IAnsiConsole console, string name, IReadOnlyList<FlowReport> flows, CaptureContents capture)
    {
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {capture.Frames} frames, {flows.Count} TCP flow{(flows.Count == 1 ? string.Empty : "s")}{(capture.Truncated ? " (the file is cut off)" : string.Empty)}")));
        if (flows.Count == 0)
        {
            return;
        }

        var table = new Table().AddColumns("client -> server", "packets", "probes", "answered", "probe interval", "first probe", "max data gap", "late", "end");
        foreach (var flow in flows)
        {
            table.AddRow(
                Markup.Escape(flow.Client + " -> " + flow.Server), Count(flow.Packets), Count(flow.KeepAliveProbes), Count(flow.KeepAliveAcks),
                FlowVerdict.S(flow.ProbeInterval), FlowVerdict.S(flow.FirstProbeAfterIdle), FlowVerdict.S(flow.MaxDataGap),
                Count(flow.LateHeartbeats.Count), flow.End + (flow.EndAfterIdle is { } idle ? " after " + FlowVerdict.S(idle) + " idle" : string.Empty));
        }

        console.Write(table);
        foreach (var flow in flows)
        {
            var colour = flow.Finding ? "red" : "green";
            console.MarkupLine($"[{colour}]{Markup.Escape(flow.Client)} -> {Markup.Escape(flow.Server)}: {Markup.Escape(flow.Verdict)}[/]");
            foreach (var late in flow.LateHeartbeats)
            {
                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"  late heartbeat at {FlowVerdict.S(late.At)} (frame {late.Frame}) from {late.From}: gap {FlowVerdict.S(late.Gap)}, {FlowVerdict.S(late.Late)} late")));
            }
        }
    }

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}

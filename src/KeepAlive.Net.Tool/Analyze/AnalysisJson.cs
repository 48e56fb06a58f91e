using System.Text.Json;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Writes <c>analyze --json</c>: one object, <c>{"flows": [...], "truncated": bool}</c>, times in seconds from the start of the capture.</summary>
internal static class AnalysisJson
{
    public static void Write(TextWriter output, IReadOnlyList<FlowReport> flows, CaptureContents capture) => JsonOutput.Write(output, json =>
    {
        json.WriteStartArray("flows");
        foreach (var flow in flows)
        {
            WriteFlow(json, flow);
        }

        json.WriteEndArray();
        json.WriteBoolean("truncated", capture.Truncated);
        if (capture.TruncationReason is { } reason)
        {
            json.WriteString("truncationReason", reason);
        }

        json.WriteNumber("frames", capture.Frames);
    });

    private static void WriteFlow(Utf8JsonWriter json, FlowReport flow)
    {
        json.WriteStartObject();
        json.WriteString("client", flow.Client);
        json.WriteString("server", flow.Server);
        json.WriteNumber("packets", flow.Packets);
        json.WriteNumber("keepAliveProbes", flow.KeepAliveProbes);
        json.WriteNumber("keepAliveAcks", flow.KeepAliveAcks);
        json.Seconds("probeInterval", flow.ProbeInterval);
        json.Seconds("firstProbeAfterIdle", flow.FirstProbeAfterIdle);
        json.Seconds("maxDataGap", flow.MaxDataGap);
        json.WriteStartArray("lateHeartbeats");
        foreach (var late in flow.LateHeartbeats)
        {
            json.WriteStartObject();
            json.Seconds("at", late.At);
            json.Seconds("gap", late.Gap);
            json.Seconds("late", late.Late);
            json.WriteString("from", late.From);
            json.WriteNumber("frame", late.Frame);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("end", flow.End);
        json.Seconds("endAfterIdle", flow.EndAfterIdle);
        json.WriteString("verdict", flow.Verdict);
        json.WriteBoolean("finding", flow.Finding);
        json.WriteStartArray("probeFrames");
        foreach (var frame in flow.ProbeFrames)
        {
            json.WriteNumberValue(frame);
        }

        json.WriteEndArray();
        json.WriteNumber("answeredProbes", flow.AnsweredProbes);
        json.WriteNumber("unansweredProbes", flow.UnansweredProbes);
        json.WriteNumber("unansweredInARow", flow.UnansweredInARow);
        json.Seconds("maxSilence", flow.MaxSilence);
        json.StringOrNull("endedBy", flow.EndedBy);

        json.WriteNumber("unansweredAtEnd", flow.UnansweredAtEnd);
        json.Seconds("silenceAfterIdle", flow.SilenceAfterIdle);
        json.WriteNumber("retransmissions", flow.Retransmissions);
        json.WriteEndObject();
    }
}

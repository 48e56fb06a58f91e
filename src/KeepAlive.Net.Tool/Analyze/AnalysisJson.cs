using System.Text.Json;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Writes <c>analyze --json</c>: one object, <c>{"flows": [...], "truncated": bool}</c>, times in seconds from the start of the capture.</summary>
internal static class AnalysisJson
{
    public static void Write(Stream output, IReadOnlyList<FlowReport> flows, CaptureContents capture)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
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
        json.WriteEndObject();
    }

    private static void WriteFlow(Utf8JsonWriter json, FlowReport flow)
    {
        json.WriteStartObject();
        json.WriteString("client", flow.Client);
        json.WriteString("server", flow.Server);
        json.WriteNumber("packets", flow.Packets);
        json.WriteNumber("keepAliveProbes", flow.KeepAliveProbes);
        json.WriteNumber("keepAliveAcks", flow.KeepAliveAcks);
        Seconds(json, "probeInterval", flow.ProbeInterval);
        Seconds(json, "firstProbeAfterIdle", flow.FirstProbeAfterIdle);
        Seconds(json, "maxDataGap", flow.MaxDataGap);
        json.WriteStartArray("lateHeartbeats");
        foreach (var late in flow.LateHeartbeats)
        {
            json.WriteStartObject();
            Seconds(json, "at", late.At);
            Seconds(json, "gap", late.Gap);
            Seconds(json, "late", late.Late);
            json.WriteString("from", late.From);
            json.WriteNumber("frame", late.Frame);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("end", flow.End);
        Seconds(json, "endAfterIdle", flow.EndAfterIdle);
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
        Seconds(json, "maxSilence", flow.MaxSilence);
        if (flow.EndedBy is { } endedBy)
        {
            json.WriteString("endedBy", endedBy);
        }
        else
        {
            json.WriteNull("endedBy");
        }

        json.WriteNumber("unansweredAtEnd", flow.UnansweredAtEnd);
        Seconds(json, "silenceAfterIdle", flow.SilenceAfterIdle);
        json.WriteNumber("retransmissions", flow.Retransmissions);
        json.WriteEndObject();
    }

    private static void Seconds(Utf8JsonWriter json, string name, double? seconds)
    {
        if (seconds is { } s)
        {
            json.WriteNumber(name, Math.Round(s, 6));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

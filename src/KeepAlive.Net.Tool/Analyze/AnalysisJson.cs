using System.Text.Json;
using KeepAlive.Net.Tool.Analyze.Application;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Writes <c>analyze --json</c>: one object, <c>{"flows": [...], "truncated": bool, "truncationReason": text, "frames": n, "undecodableFrames": n, "undecodableLinkType": text}</c>, times in seconds from the start of the capture.</summary>
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
        // Every field always, null when it does not apply: exit code 2 is a cut file (truncated) or frames of a link type
        // analyze cannot decode (undecodableLinkType), which a script tells apart from these alone.
        json.WriteBoolean("truncated", capture.Truncated);
        json.StringOrNull("truncationReason", capture.TruncationReason);
        json.WriteNumber("frames", capture.Frames);
        json.WriteNumber("undecodableFrames", capture.Undecodable);
        json.StringOrNull("undecodableLinkType", capture.UnknownLinkType);
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
        WriteFrames(json, "probeFrames", flow.ProbeFrames);
        json.WriteNumber("zeroWindowProbes", flow.ZeroWindowProbeFrames.Count);
        WriteFrames(json, "zeroWindowProbeFrames", flow.ZeroWindowProbeFrames);
        json.NumberOrNull("answeredProbes", flow.AnsweredProbes);
        json.NumberOrNull("unansweredProbes", flow.UnansweredProbes);
        json.NumberOrNull("unansweredInARow", flow.UnansweredInARow);
        json.Seconds("maxSilence", flow.MaxSilence);
        json.StringOrNull("endedBy", flow.EndedBy);

        json.NumberOrNull("unansweredAtEnd", flow.UnansweredAtEnd);
        json.Seconds("silenceAfterIdle", flow.SilenceAfterIdle);
        json.WriteNumber("retransmissions", flow.Retransmissions);
        json.Seconds("resetAfterIdle", flow.ResetAfterIdle);
        json.StringOrNull("resetBy", flow.ResetBy);
        json.NumberOrNull("resetTtl", flow.ResetTtl?.Reset);
        json.NumberOrNull("peerTtl", flow.ResetTtl?.Usual);
        json.WriteBoolean("rolesGuessed", flow.RolesGuessed);
        json.WriteString("rolesBasis", flow.RolesBasis);
        json.StringOrNull("onlyFrom", flow.OnlyFrom);
        WriteApplication(json, flow.Application);
        json.WriteEndObject();
    }

    private static void WriteFrames(Utf8JsonWriter json, string name, IReadOnlyList<long> frames)
    {
        json.WriteStartArray(name);
        foreach (var frame in frames)
        {
            json.WriteNumberValue(frame);
        }

        json.WriteEndArray();
    }

    /// <summary><c>"http2"</c> and <c>"webSocket"</c>: pings and answers per side with their cadence, GOAWAY and close frames; null when absent.</summary>
    private static void WriteApplication(Utf8JsonWriter json, KeepAliveFrames? frames)
    {
        foreach (var protocol in new[] { ApplicationLayer.Http2, ApplicationLayer.WebSocket })
        {
            var name = protocol == ApplicationLayer.Http2 ? "http2" : "webSocket";
            if (frames?.Protocol != protocol)
            {
                json.WriteNull(name);
                continue;
            }

            json.WriteStartObject(name);
            var kinds = protocol == ApplicationLayer.Http2 ? new[] { (ControlFrame.Ping, "ping"), (ControlFrame.PingAck, "pingAck") } : [(ControlFrame.Ping, "ping"), (ControlFrame.Pong, "pong")];
            foreach (var (kind, key) in kinds)
            {
                foreach (var (fromClient, side) in new[] { (true, "Client"), (false, "Server") })
                {
                    json.WriteNumber($"{key}sFrom{side}", frames.Count(kind, fromClient));
                    json.Seconds($"{char.ToLowerInvariant(side[0])}{side[1..]}{char.ToUpperInvariant(key[0])}{key[1..]}Interval", frames.Interval(kind, fromClient));
                }
            }

            json.WriteStartArray(protocol == ApplicationLayer.Http2 ? "goAways" : "closes");
            foreach (var shutdown in frames.Shutdowns)
            {
                json.WriteStartObject();
                json.WriteString("from", Roles.Name(shutdown.FromClient, guessed: false));
                json.Seconds("at", shutdown.At);
                json.WriteNumber("frame", shutdown.Frame);
                json.NumberOrNull(protocol == ApplicationLayer.Http2 ? "errorCode" : "code", shutdown.Code);
                if (protocol == ApplicationLayer.Http2)
                {
                    json.WriteString("error", Http2FrameReader.ErrorName(shutdown.Code ?? 0));
                    json.NumberOrNull("lastStreamId", shutdown.LastStreamId);
                }

                json.StringOrNull(protocol == ApplicationLayer.Http2 ? "debug" : "reason", shutdown.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.StringOrNull("brokenAt", frames.Broken);
            json.WriteEndObject();
        }
    }
}

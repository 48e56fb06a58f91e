using System.Net;
using KeepAlive.Net.Tool.Analyze.Application;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Splits a capture's segments into TCP flows and reads each one: probes, answers, data gaps and how it ended.</summary>
internal static class FlowAnalyzer
{
    public static IReadOnlyList<FlowReport> Analyze(IReadOnlyList<TcpSegment> segments, AnalysisSettings settings)
    {
        var current = new Dictionary<(string, string), List<TcpSegment>>();
        var flows = new List<List<TcpSegment>>();
        foreach (var segment in segments)
        {
            var a = segment.Source.ToString();
            var b = segment.Destination.ToString();
            var key = string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
            if (!current.TryGetValue(key, out var list) || OpensAnother(list, segment))
            {
                current[key] = list = [];
                flows.Add(list);
            }

            list.Add(segment);
        }

        return [.. flows.Select(list => AnalyzeFlow(list, settings))];
    }

    /// <summary>
    /// A SYN (not a SYN-ACK) after the flow got past its opening, with a sequence number its side's SYN did not have
    /// (a retransmitted SYN repeats it): a new connection on the same addresses and ports, as Wireshark starts a new
    /// <c>tcp.stream</c> (a client bound to a fixed port, or ports reused in a long capture).
    /// </summary>
    private static bool OpensAnother(List<TcpSegment> flow, TcpSegment segment) =>
        segment.Has(TcpFlags.Syn) && !segment.Has(TcpFlags.Ack)
        && flow.Exists(static s => !s.Has(TcpFlags.Syn) || s.Has(TcpFlags.Ack))
        && !flow.Exists(s => s.Has(TcpFlags.Syn) && !s.Has(TcpFlags.Ack) && s.Source.Equals(segment.Source) && s.Sequence == segment.Sequence);

    private static FlowReport AnalyzeFlow(List<TcpSegment> segments, AnalysisSettings settings)
    {
        var client = ClientOf(segments);
        var clientText = client.ToString();
        var server = segments[0].Source.Equals(client) ? segments[0].Destination : segments[0].Source;
        var walk = new FlowWalk(client);
        var application = new ApplicationLayer();
        foreach (var segment in segments)
        {
            walk.Add(segment);
            application.Add(segment, segment.Source.Equals(client));
        }

        walk.Finish();
        var frames = application.Protocol is { } protocol ? new KeepAliveFrames(protocol, [.. application.Frames], application.Broken) : null;
        return FlowVerdict.Build(walk, frames, clientText, server.ToString(), segments.Count, settings);
    }

    /// <summary>The side that sent the first SYN; without a handshake in the capture, the side with the higher (ephemeral) port.</summary>
    private static IPEndPoint ClientOf(List<TcpSegment> segments)
    {
        foreach (var segment in segments)
        {
            if (segment.Has(TcpFlags.Syn))
            {
                return segment.Has(TcpFlags.Ack) ? segment.Destination : segment.Source;
            }
        }

        var first = segments[0];
        return first.Source.Port >= first.Destination.Port ? first.Source : first.Destination;
    }
}

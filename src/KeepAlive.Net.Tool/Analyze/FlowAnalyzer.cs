using System.Globalization;
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

        // How many flows each address and port is in: a server's is shared by its clients' flows.
        var flowsOf = flows.SelectMany(static f => new[] { f[0].Source, f[0].Destination }).CountBy(static e => e).ToDictionary();
        // When the capture ends: a flow's last segment before it tells whether its sender stopped or the capture did.
        var captureEnd = segments.Count == 0 ? 0 : segments.Max(static s => s.Time);
        return [.. flows.Select(list => AnalyzeFlow(list, flowsOf, settings, captureEnd))];
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

    private static FlowReport AnalyzeFlow(List<TcpSegment> segments, Dictionary<IPEndPoint, int> flowsOf, AnalysisSettings settings, double captureEnd)
    {
        var (client, rolesBasis, rolesGuessed) = ClientOf(segments, flowsOf);
        var clientText = client.ToString();
        var server = segments[0].Source.Equals(client) ? segments[0].Destination : segments[0].Source;
        var walk = new FlowWalk(client, rolesGuessed);
        walk.LearnFromFirstAnswers(segments);
        var application = new ApplicationLayer();
        foreach (var segment in segments)
        {
            walk.Add(segment);
            application.Add(segment, segment.Source.Equals(client));
        }

        walk.Finish();
        application.Finish();
        var frames = application.Protocol is { } protocol ? new KeepAliveFrames(protocol, [.. application.Frames], application.Broken) { RolesGuessed = rolesGuessed } : null;
        return FlowVerdict.Build(walk, frames, clientText, server.ToString(), segments.Count, settings, captureEnd, OnlyFrom(segments)) with { RolesGuessed = rolesGuessed, RolesBasis = rolesBasis };
    }

    /// <summary>
    /// The side whose segments alone the capture holds, when they acknowledge the other side's (an ACK flag is set only
    /// once that side's SYN arrived): the other direction was not captured (a filter such as <c>src host</c>, a mirror
    /// port that sees one way). A SYN repeated with no answer acknowledges nothing: no connection, not one direction.
    /// </summary>
    private static IPEndPoint? OnlyFrom(List<TcpSegment> segments) =>
        segments.TrueForAll(s => s.Source.Equals(segments[0].Source)) && segments.Exists(static s => s.Has(TcpFlags.Ack)) ? segments[0].Source : null;

    /// <summary>
    /// The side that sent the first SYN; without a handshake in the capture, a guess: the side whose address and port are
    /// in fewer flows (a server's are shared by its clients, whatever the port: gRPC's 50051 is above most ephemeral
    /// ports), else the side with the higher (ephemeral) port. Returns the basis, as the report states it, and whether it is a guess.
    /// </summary>
    private static (IPEndPoint Client, string Basis, bool Guessed) ClientOf(List<TcpSegment> segments, Dictionary<IPEndPoint, int> flowsOf)
    {
        foreach (var segment in segments)
        {
            if (segment.Has(TcpFlags.Syn))
            {
                return (segment.Has(TcpFlags.Ack) ? segment.Destination : segment.Source, "the handshake: the client sent the SYN", false);
            }
        }

        const string Guess = "no handshake in the capture (it started after the connection opened), so client and server are guessed";
        var (source, destination) = (segments[0].Source, segments[0].Destination);
        var shared = flowsOf[destination].CompareTo(flowsOf[source]);
        if (shared != 0)
        {
            var (client, server) = shared > 0 ? (source, destination) : (destination, source);
            return (client, string.Create(CultureInfo.InvariantCulture, $"{Guess}: the server is the side shared by more flows ({server} is in {flowsOf[server]}, {client} in {flowsOf[client]})"), true);
        }

        return (source.Port >= destination.Port ? source : destination, $"{Guess}: the client is the side with the higher port, as an ephemeral port usually is (a client bound to a low port is taken for the server)", true);
    }
}

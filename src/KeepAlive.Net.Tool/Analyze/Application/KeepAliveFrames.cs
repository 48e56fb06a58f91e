using System.Globalization;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// The keep-alive and shutdown frames of one flow's HTTP/2 or WebSocket stream: pings and their answers per side with
/// their cadence, and each GOAWAY or close with its code. A GOAWAY with an error (such as ENHANCE_YOUR_CALM with
/// "too_many_pings", a server refusing the ping rate) or a close other than normal (1000) or going away (1001) is a finding.
/// </summary>
internal sealed record KeepAliveFrames(string Protocol, IReadOnlyList<ControlFrame> Frames, string? Broken)
{
    private const long NormalClosure = 1000;
    private const long GoingAway = 1001;

    /// <summary>Gets a value indicating whether the flow's client and server are guessed (<see cref="FlowReport.RolesGuessed"/>): the sentences say so.</summary>
    public bool RolesGuessed { get; init; }

    public int Count(string kind, bool fromClient) => Frames.Count(f => f.Kind == kind && f.FromClient == fromClient);

    /// <summary>The median time between consecutive frames of a kind from one side.</summary>
    public double? Interval(string kind, bool fromClient) =>
        Median.Gap([.. Frames.Where(f => f.Kind == kind && f.FromClient == fromClient).Select(static f => f.At)]);

    public IEnumerable<ControlFrame> Shutdowns => Frames.Where(static f => f.Kind is ControlFrame.GoAway or ControlFrame.Close);

    public bool Finding => Shutdowns.Any(static f => f.Kind == ControlFrame.GoAway ? f.Code != 0 : f.Code is not (null or NormalClosure or GoingAway));

    public string Describe()
    {
        var parts = new List<string>();
        var (ping, answer, answerName) = Protocol == ApplicationLayer.Http2
            ? (ControlFrame.Ping, ControlFrame.PingAck, "acknowledged")
            : (ControlFrame.Ping, ControlFrame.Pong, "answered with a pong");
        foreach (var fromClient in new[] { true, false })
        {
            var (side, other) = (Roles.Name(fromClient, RolesGuessed), Roles.Name(!fromClient, RolesGuessed));
            if (Count(ping, fromClient) is var pings and > 0)
            {
                parts.Add($"{Units.Count(pings, Protocol == ApplicationLayer.Http2 ? "PING" : "ping")} from the {side}{Every(Interval(ping, fromClient))}, {Units.Number(Count(answer, !fromClient))} {answerName} by the {other}");
            }

            if (Protocol == ApplicationLayer.WebSocket && Count(ControlFrame.Pong, fromClient) - Count(ControlFrame.Ping, !fromClient) is var unsolicited and > 0)
            {
                parts.Add($"{Units.Count(unsolicited, "unsolicited pong")} from the {side}{Every(Interval(ControlFrame.Pong, fromClient))} (a one-way keep-alive: nothing checks the peer answers)");
            }
        }

        if (parts.Count == 0)
        {
            parts.Add(Protocol == ApplicationLayer.Http2 ? "no PING frames" : "no ping or pong frames");
        }

        foreach (var shutdown in Shutdowns)
        {
            parts.Add(Describe(shutdown));
        }

        var name = Protocol == ApplicationLayer.Http2 ? "HTTP/2 (cleartext)" : "WebSocket";
        return $"{name}: {string.Join(", ", parts)}{(Broken is null ? string.Empty : $" (frames followed only up to where {Broken})")}";
    }

    private string Describe(ControlFrame frame)
    {
        var side = Roles.Name(frame.FromClient, RolesGuessed);
        var at = $"at {Units.Seconds(frame.At)} (frame {Units.Number(frame.Frame)})";
        if (frame.Kind == ControlFrame.GoAway)
        {
            var code = frame.Code ?? 0;
            var text = $"GOAWAY from the {side} {at}: {Http2FrameReader.ErrorName(code)} (0x{code.ToString("x", CultureInfo.InvariantCulture)}){(frame.Text is { Length: > 0 } debug ? $" '{debug}'" : string.Empty)}, last stream {Units.Number(frame.LastStreamId)}";
            return frame.Text == "too_many_pings" || code == 0xb
                ? text + ": the peer refused the ping rate: ping less often (gRPC servers accept one ping every 5m by default) and back off when told"
                : text;
        }

        return $"close from the {side} {at}: code {Units.Number(frame.Code, "none")}{(frame.Text is { Length: > 0 } reason ? $" '{reason}'" : string.Empty)}";
    }

    private static string Every(double? interval) => interval is { } s ? $" every {Units.Seconds(s)} (median)" : string.Empty;
}

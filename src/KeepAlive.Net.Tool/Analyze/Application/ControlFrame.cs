namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>A keep-alive or shutdown frame read from an HTTP/2 or WebSocket stream.</summary>
/// <param name="At">When the segment that began it was captured, in seconds from the first frame.</param>
/// <param name="Frame">That segment's frame number.</param>
/// <param name="FromClient">Whether the client sent it.</param>
/// <param name="Kind">ping, ping-ack (HTTP/2), pong (WebSocket), goaway (HTTP/2) or close (WebSocket).</param>
/// <param name="Code">The GOAWAY error code or the WebSocket close code, else <see langword="null"/>.</param>
/// <param name="Text">GOAWAY debug data or the close reason, else <see langword="null"/>.</param>
/// <param name="LastStreamId">The GOAWAY's last stream id, else <see langword="null"/>.</param>
internal sealed record ControlFrame(double At, long Frame, bool FromClient, string Kind, long? Code = null, string? Text = null, long? LastStreamId = null)
{
    public const string Ping = "ping";
    public const string PingAck = "ping-ack";
    public const string Pong = "pong";
    public const string GoAway = "goaway";
    public const string Close = "close";
}

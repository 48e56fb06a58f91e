namespace KeepAlive.Net.Hosting;

/// <summary>
/// The WebSocket layer of a keep-alive profile (the <c>WebSocket</c> section), for Kestrel's <c>UseWebSockets</c> and for
/// <see cref="System.Net.WebSockets.ClientWebSocket"/>. Every value is optional; an unset value leaves the platform's own.
/// </summary>
public class WebSocketKeepAliveOptions
{
    /// <summary>Gets or sets how often a keep-alive frame is sent: a PING when <see cref="KeepAliveTimeout"/> is set, else an unsolicited PONG.</summary>
    /// <value>The default value is <see langword="null"/>: the platform's default (30 seconds on the client, 2 minutes on the server).</value>
    [KeepAliveRange("1s", "1h", Example = "30s", ZeroMeans = "turns keep-alive frames off",
        MinimumReason = "faster keep-alive frames only add traffic; no middlebox forgets a flow that fast.",
        MaximumReason = "the longest common middlebox idle timeout is 20m; rarer frames keep nothing alive.")]
    public TimeSpan? KeepAliveInterval { get; set; }

    /// <summary>Gets or sets how long a PING may stay unanswered by a PONG before the WebSocket is aborted as dead. Refused with a <see cref="KeepAliveInterval"/> of 0, which sends no PING; unset, the platform's interval sends them.</summary>
    /// <value>The default value is <see langword="null"/>: no timeout (a dead peer is only found by TCP).</value>
    [KeepAliveRange("1s", "1h", Example = "10s",
        MinimumReason = "a PONG needs at least a round trip, and a busy peer answers later.",
        MaximumReason = "a peer silent for an hour is long dead.")]
    public TimeSpan? KeepAliveTimeout { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// One named keep-alive profile, bound from a configuration section such as
/// <c>KeepAlive:Profiles:payments</c> that holds <c>Tcp</c>, <c>Heartbeat</c>, <c>Http</c>, <c>WebSocket</c> and <c>SignalR</c> subsections.
/// </summary>
/// <remarks>
/// Profiles are named options: read them through <see cref="IKeepAliveProfiles"/> or
/// <c>IOptionsMonitor&lt;KeepAliveProfileOptions&gt;.Get(name)</c>. When the configuration reloads,
/// connections configured afterwards get the new values; connections configured before keep theirs,
/// because the kernel holds keep-alive settings per socket.
/// </remarks>
public class KeepAliveProfileOptions
{
    /// <summary>The name of the profile used by the overloads that take no profile name.</summary>
    public const string DefaultProfileName = "default";

    /// <summary>Gets or sets the operating-system TCP keep-alive settings of the profile.</summary>
    /// <value>The default value is a <see cref="TcpKeepAliveOptions"/> with its own defaults (30 s idle, 10 s interval, 3 probes).</value>
    [Required]
    public TcpKeepAliveOptions Tcp { get; set; } = new();

    /// <summary>
    /// Gets or sets the application heartbeat of the profile, used by connections that register with the
    /// <see cref="IHeartbeatScheduler"/>; its <see cref="HeartbeatOptions.PeerIdleTimeout"/> (a preset such as
    /// "AwsNlb" or a time) is the idle timeout both the heartbeat and <see cref="Tcp"/> must beat.
    /// </summary>
    /// <value>
    /// The default value is a <see cref="HeartbeatOptions"/> with its own defaults (every 10 s when idle, no timeout,
    /// no peer idle timeout). Its <see cref="HeartbeatOptions.Name"/> defaults to the profile's name.
    /// </value>
    [Required]
    public HeartbeatOptions Heartbeat { get; set; } = new();

    /// <summary>
    /// Gets or sets the HTTP layer of the profile: connection retirement and keep-alive timeout for Kestrel
    /// (<c>listenOptions.UseKeepAlive</c>), pooled connection timers for HttpClient (<c>httpClientBuilder.UseKeepAlive</c>),
    /// and HTTP/2 PING keep-alive for both.
    /// </summary>
    /// <value>The default value is an <see cref="HttpKeepAliveOptions"/> with nothing set: every platform default stays.</value>
    [Required]
    public HttpKeepAliveOptions Http { get; set; } = new();

    /// <summary>Gets or sets the WebSocket keep-alive of the profile, for Kestrel's <c>UseWebSockets</c> and <see cref="System.Net.WebSockets.ClientWebSocket"/>.</summary>
    /// <value>The default value is a <see cref="WebSocketKeepAliveOptions"/> with nothing set.</value>
    [Required]
    public WebSocketKeepAliveOptions WebSocket { get; set; } = new();

    /// <summary>
    /// Gets or sets SignalR's keep-alive messages and timeouts of the profile, for a hub connection
    /// (<c>hubConnectionBuilder.UseKeepAlive</c>) and a hub (<c>services.AddSignalR().UseKeepAlive</c>); unset values come
    /// from <see cref="Heartbeat"/> (interval and timeout).
    /// </summary>
    /// <value>The default value is a <see cref="SignalRKeepAliveOptions"/> with nothing set.</value>
    [Required]
    public SignalRKeepAliveOptions SignalR { get; set; } = new();
}

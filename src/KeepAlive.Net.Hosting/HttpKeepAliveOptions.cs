using System.Net.Http;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// The HTTP layer of a keep-alive profile (the <c>Http</c> section): connection retirement on the server, the pooled
/// connection timers of an HttpClient, and HTTP/2 PING keep-alive on both sides. Every value is optional; an unset
/// value leaves Kestrel's or <see cref="SocketsHttpHandler"/>'s own setting alone.
/// </summary>
/// <remarks>
/// Server settings (<c>listenOptions.UseKeepAlive</c>): <see cref="MaxConnectionAge"/>, <see cref="MaxConnectionAgeJitter"/>,
/// <see cref="MaxRequestsPerConnection"/>, <see cref="ConnectionCloseGracePeriod"/>, <see cref="KeepAliveTimeout"/>.
/// Client settings (<c>httpClientBuilder.UseKeepAlive</c>): <see cref="PooledConnectionIdleTimeout"/>,
/// <see cref="PooledConnectionLifetime"/>, <see cref="ConnectTimeout"/>, and the server's ping policy as the client must
/// respect it: <see cref="PeerMinPingInterval"/>, <see cref="PeerPermitsPingsWithoutCalls"/>. Both: the HTTP/2 ping settings.
/// </remarks>
public class HttpKeepAliveOptions
{
    private const string NoFlowForADay = "no middlebox keeps an idle flow for a day, and a connection that old has missed every DNS and load balancer change.";
    private const string PingFloor = "Kestrel and SocketsHttpHandler refuse HTTP/2 ping times under 1s.";

    /// <summary>
    /// Gets or sets how long a server connection may live before it is retired: HTTP/1.1 answers the next response with
    /// <c>Connection: close</c>, HTTP/2 sends GOAWAY, requests in flight complete. Clients then reconnect, re-resolve DNS
    /// and follow load balancer or GSLB shifts (gRPC's MAX_CONNECTION_AGE).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: connections are never retired for their age.</value>
    [KeepAliveRange("1s", "1d", Example = "10m", MaximumReason = NoFlowForADay,
        MinimumReason = "a younger retirement reconnects on almost every request, which costs a handshake each time.")]
    public TimeSpan? MaxConnectionAge { get; set; }

    /// <summary>
    /// Gets or sets the largest random amount taken off <see cref="MaxConnectionAge"/> for each connection (and off
    /// <see cref="PooledConnectionLifetime"/> for each client handler), so a fleet does not reconnect at once.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no jitter). At most half the age it shortens, so the shortest drawn age is still half of it.</value>
    [KeepAliveRange("0s", "1d", Example = "30s",
        MinimumReason = "a negative jitter would lengthen the age.",
        MaximumReason = "the jitter may be at most " + AgeJitter.LargestShare + " the age it shortens, and ages are at most 1d.")]
    public TimeSpan? MaxConnectionAgeJitter { get; set; }

    /// <summary>Gets or sets how many requests a server connection serves; the last one is answered with <c>Connection: close</c> (HTTP/1.1) or followed by GOAWAY (HTTP/2).</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    [KeepAliveRange(1, 1_000_000_000, Example = "1000",
        MinimumReason = "a connection must serve at least one request.",
        MaximumReason = "a connection that serves a billion requests is never retired; remove the key for no limit.")]
    public int? MaxRequestsPerConnection { get; set; }

    /// <summary>Gets or sets how long a retired server connection may take to finish its requests in flight before it is aborted.</summary>
    /// <value>The default value is <see langword="null"/>, which means 30 seconds.</value>
    [KeepAliveRange("100ms", "1h", Example = "30s",
        MinimumReason = "requests in flight need time to complete after GOAWAY or Connection: close.",
        MaximumReason = "a request that runs for an hour should not hold a retired connection open; abort it sooner.")]
    public TimeSpan? ConnectionCloseGracePeriod { get; set; }

    /// <summary>
    /// Gets or sets Kestrel's keep-alive timeout: how long the server keeps an idle connection open between requests.
    /// Behind a load balancer it must be <em>longer</em> than the balancer's idle timeout (<c>Heartbeat:PeerIdleTimeout</c>),
    /// or the balancer reuses a connection the server has just closed (the classic 502).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: Kestrel's own default (130 seconds).</value>
    [KeepAliveRange("1s", "1d", Example = "6m", MaximumReason = NoFlowForADay,
        MinimumReason = "Kestrel checks the keep-alive timeout once a second.")]
    public TimeSpan? KeepAliveTimeout { get; set; }

    /// <summary>
    /// Gets or sets how long an HttpClient keeps an idle pooled connection. It must be <em>shorter</em> than the middlebox's
    /// idle timeout (<c>Heartbeat:PeerIdleTimeout</c>), or the client reuses a connection the middlebox already forgot.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the handler's own default (1 minute).</value>
    [KeepAliveRange("1s", "1d", Example = "50s", MaximumReason = NoFlowForADay,
        MinimumReason = "a shorter idle timeout throws away nearly every pooled connection before it is reused.")]
    public TimeSpan? PooledConnectionIdleTimeout { get; set; }

    /// <summary>Gets or sets how long an HttpClient reuses a pooled connection before replacing it (which re-resolves DNS), shortened per handler by up to <see cref="MaxConnectionAgeJitter"/>.</summary>
    /// <value>The default value is <see langword="null"/>: the handler's own default (infinite).</value>
    [KeepAliveRange("1s", "1d", Example = "5m", MaximumReason = NoFlowForADay,
        MinimumReason = "a shorter lifetime reconnects on almost every request.")]
    public TimeSpan? PooledConnectionLifetime { get; set; }

    /// <summary>Gets or sets how long an HttpClient waits for a new connection to be established.</summary>
    /// <value>The default value is <see langword="null"/>: the handler's own default (infinite, bounded by the request timeout).</value>
    [KeepAliveRange("100ms", "10m", Example = "5s",
        MinimumReason = "a TCP handshake across a region already takes tens of milliseconds, and a lost SYN is retried after 1s.",
        MaximumReason = "the kernel gives up on a connect after about 2m (tcp_syn_retries); a longer timeout only hides the failure.")]
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>Gets or sets how long an HTTP/2 connection may stay silent before a PING frame is sent (Kestrel and HttpClient). </summary>
    /// <value>The default value is <see langword="null"/>: no keep-alive pings.</value>
    [KeepAliveRange("1s", "1h", Example = "30s", MinimumReason = PingFloor,
        MaximumReason = "the longest common middlebox idle timeout is 20m; a rarer ping keeps nothing alive.")]
    public TimeSpan? KeepAlivePingDelay { get; set; }

    /// <summary>Gets or sets how long a PING may stay unanswered before the connection is closed as dead; only with <see cref="KeepAlivePingDelay"/>, without which no PING is sent. </summary>
    /// <value>The default value is <see langword="null"/>: the platform's default (20 seconds).</value>
    [KeepAliveRange("1s", "1h", Example = "20s", MinimumReason = PingFloor,
        MaximumReason = "a peer that leaves a PING unanswered for an hour is long dead.")]
    public TimeSpan? KeepAlivePingTimeout { get; set; }

    /// <summary>Gets or sets when an HttpClient sends keep-alive pings: only with requests in flight, or always.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: the handler's own default (<see cref="HttpKeepAlivePingPolicy.Always"/>),
    /// or <see cref="HttpKeepAlivePingPolicy.WithActiveRequests"/> when <see cref="PeerPermitsPingsWithoutCalls"/> is <see langword="false"/>.
    /// </value>
    public HttpKeepAlivePingPolicy? KeepAlivePingPolicy { get; set; }

    /// <summary>
    /// Gets or sets the shortest interval between HTTP/2 PINGs that the server on the other side accepts (client side). A
    /// client that pings more often is answered with GOAWAY <c>ENHANCE_YOUR_CALM</c> "too_many_pings" and loses its
    /// connection: grpc-go and grpc-java servers default to 5 minutes (<c>EnforcementPolicy.MinTime</c>,
    /// <c>permitKeepAliveTime</c>) and send it after two strikes. <see cref="KeepAlivePingDelay"/> below it is refused.
    /// Kestrel answers every PING, so against Kestrel leave it unset.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the server accepts any PING.</value>
    [KeepAliveRange("1s", "1d", Example = "5m",
        MinimumReason = "SocketsHttpHandler pings at most once a second (its ping delay starts at 1s), so a shorter minimum limits nothing.",
        MaximumReason = "a server that accepts one PING a day forbids keep-alive pings: leave Http:KeepAlivePingDelay unset and let the Tcp section keep the connection.")]
    public TimeSpan? PeerMinPingInterval { get; set; }

    /// <summary>
    /// Gets or sets whether the server on the other side accepts PINGs on a connection with no call (request) in flight
    /// (client side). grpc-go and grpc-java servers default to <see langword="false"/> (<c>PermitWithoutStream</c>,
    /// <c>permitKeepAliveWithoutCalls</c>) and answer such PINGs with GOAWAY "too_many_pings". With <see langword="false"/>,
    /// pings run only with requests in flight (<see cref="HttpKeepAlivePingPolicy.WithActiveRequests"/>) and the profile's
    /// <c>Tcp</c> section keeps idle connections alive; <see cref="KeepAlivePingPolicy"/> <c>Always</c> is refused.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the server accepts PINGs at any time (Kestrel does).</value>
    public bool? PeerPermitsPingsWithoutCalls { get; set; }
}

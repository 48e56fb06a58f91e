namespace KeepAlive.Net;

/// <summary>
/// Stable event ids of every log message KeepAlive.Net writes, for filtering and alerting.
/// Ids 1000-1999 belong to OS keep-alive, 2000-2999 to heartbeats, 3000-3999 to hosting.
/// </summary>
public static class KeepAliveEventIds
{
    /// <summary>Keep-alive was configured on a socket; the message carries the effective settings.</summary>
    public const int KeepAliveConfigured = 1000;

    /// <summary>A keep-alive value was rounded to what the platform can express.</summary>
    public const int KeepAliveOptionRounded = 1001;

    /// <summary>A requested keep-alive option does not exist on this platform.</summary>
    public const int KeepAliveOptionUnsupported = 1002;

    /// <summary>A keep-alive option is fixed by the platform and could not be changed.</summary>
    public const int KeepAliveOptionFixedByPlatform = 1003;

    /// <summary>
    /// A keep-alive option is not in force as written: overridden by another (the probe count by TCP_USER_TIMEOUT on
    /// Linux) or read back different from what was written.
    /// </summary>
    public const int KeepAliveOptionNotAsWritten = 1004;

    /// <summary>A heartbeat registration started (Debug).</summary>
    public const int HeartbeatRegistered = 2000;

    /// <summary>A heartbeat registration was disposed (Debug).</summary>
    public const int HeartbeatUnregistered = 2001;

    /// <summary>A heartbeat started later than <see cref="HeartbeatOptions.DriftWarningThreshold"/>; the message names the cause (Warning).</summary>
    public const int HeartbeatLate = 2002;

    /// <summary>A heartbeat's lateness used half the margin between its interval and the peer's idle timeout (Warning).</summary>
    public const int HeartbeatBudgetWarning = 2003;

    /// <summary>A heartbeat started so late that the peer's idle timeout would have expired before it arrived (Error).</summary>
    public const int HeartbeatBudgetExceeded = 2004;

    /// <summary>A heartbeat callback threw or its task faulted; the registration carries on (Warning).</summary>
    public const int HeartbeatSendFailed = 2005;

    /// <summary>A heartbeat callback ran longer than <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> (Warning).</summary>
    public const int HeartbeatSendBlocked = 2006;

    /// <summary>Due heartbeats were folded into one after a stall instead of being sent as a burst (Debug).</summary>
    public const int HeartbeatSkipped = 2007;

    /// <summary>A peer was declared dead (Warning): silent for longer than <see cref="HeartbeatOptions.Timeout"/>, or a heartbeat's send failed for good (the registration then ends).</summary>
    public const int PeerDead = 2008;

    /// <summary>A user handler of a heartbeat event threw; it is logged and ignored, and the heartbeats (a scheduler's or a DriftMonitor's) carry on (Error).</summary>
    public const int HeartbeatHandlerFailed = 2009;

    /// <summary>A callback held the timer thread past the takeover threshold while the loop was needed (other heartbeats, a registration made meanwhile, or its own blocked report), so a standby thread took the timer loop over (Warning).</summary>
    public const int HeartbeatTimerTakenOver = 2010;

    /// <summary>A heartbeat scheduler started or stopped its threads (Debug).</summary>
    public const int HeartbeatSchedulerLifecycle = 2011;

    /// <summary>
    /// Completing a <see cref="HeartbeatDuplexPipe"/>'s output failed after <c>Output.Complete</c> had returned (it was left
    /// to run once a heartbeat's write ended, where nobody awaits it); the output is closed and the inner writer completed anyway (Warning).
    /// </summary>
    public const int HeartbeatOutputCompletionFailed = 2012;

    /// <summary>
    /// The application's <c>GetMemory</c>/<c>GetSpan</c>/<c>Advance</c> (blocking its thread) or <c>FlushAsync</c>/<c>WriteAsync</c> on a <see cref="HeartbeatDuplexPipe"/>'s output,
    /// or its <c>Write</c>/<c>Flush</c>/<c>BeginMessage</c> (blocking its thread) or <c>WriteAsync</c>/<c>FlushAsync</c>/<c>BeginMessageAsync</c> on a <see cref="HeartbeatStream"/>, has waited
    /// longer than the registration's <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> for a heartbeat's write that
    /// cannot be withdrawn (a writer over a stream, or one that cannot count its unflushed bytes; a stream write waiting for room) and keeps waiting until it ends (Warning).
    /// </summary>
    public const int HeartbeatOutputWaiting = 2013;

    /// <summary>
    /// The application's own heartbeat, watched by <see cref="DriftMonitor.WatchForOverdue"/>, is overdue and still not recorded:
    /// none came within its interval after the last one's due time plus the lateness from which a heartbeat is delayed. Said
    /// while the stall goes on, once per stall, with its likely cause (Warning).
    /// </summary>
    public const int HeartbeatOverdue = 2014;

    // ---- Hosting: KeepAlive.Net.Hosting (3000-3099) and KeepAlive.Net.AspNetCore (3100-3199) ----

    /// <summary>A keep-alive profile's values changed on a configuration reload; new connections use them, existing ones keep theirs.</summary>
    public const int ProfileReloaded = 3000;

    /// <summary>An HttpClient connection was configured with a keep-alive profile; the message carries the effective settings.</summary>
    public const int HttpConnectionConfigured = 3001;

    /// <summary>At start-up, one line per profile with every layer's timers side by side against the profile's middlebox idle timeout (Information).</summary>
    public const int ProfileBudget = 3002;

    /// <summary>
    /// A configuration reload made a keep-alive profile invalid or removed it (Error): the last valid values stay in force
    /// for new connections, and the message names each path, value and fix.
    /// </summary>
    public const int ProfileReloadRejected = 3003;

    /// <summary>
    /// The <c>Tcp</c> section of a profile does not apply to an HttpClient from the factory: another component (gRPC's
    /// channel, for load balancing and connectivity tracking) opens its sockets; the <c>Http</c> section applies (Warning).
    /// </summary>
    public const int HttpClientTcpNotApplicable = 3004;

    /// <summary>
    /// At start-up or on an accepted reload, a profile's HTTP/2 or WebSocket ping timeout is shorter than the time the kernel's keep-alive takes to
    /// declare a peer dead: its timer runs on the thread pool, so a starved pool can tear down a healthy connection (Warning).
    /// </summary>
    public const int PingTimeoutMayMisfire = 3005;

    /// <summary>
    /// The keep-alive health check's thresholds section changed after start-up (or a change was refused), but the check
    /// reads its thresholds once; the message names each value that stays, or why the change was refused, and the fix:
    /// restart the service (Warning).
    /// </summary>
    public const int HealthReloadNotApplied = 3006;

    /// <summary>
    /// At start-up, <c>services.AddKeepAlive(section)</c> registered no profile from the section it was given (a misspelt
    /// path, an empty section, an empty <c>Profiles</c>): the message names the path read, what it holds, the sections
    /// beside it and the fix (Warning).
    /// </summary>
    public const int KeepAliveSectionWithoutProfiles = 3007;

    /// <summary>
    /// A configuration reload added a profile to a <c>Profiles</c> section given to <c>services.AddKeepAlive(section)</c>:
    /// the set of profiles is read once, at start-up, so it is not registered and nothing uses it until the service restarts;
    /// or the profile of that name is registered without that section (in code only, or from another path), so the section's
    /// values are not applied until then, which the message says with what wins after the restart; said once per section
    /// added (Warning).
    /// </summary>
    public const int ProfileAddedAfterStartUp = 3008;

    /// <summary>
    /// A configuration reload added a key other than <c>Profiles</c> and <c>Health</c> to a section given to
    /// <c>services.AddKeepAlive(section)</c> (a typo such as <c>KeepAlive:Profilez</c>): start-up refuses it, but a reload
    /// cannot stop the host, so nothing reads it and nothing in force changes; the message names its path, the closest
    /// known key and start-up's fix, and that the next start-up refuses it; said once per key added (Warning).
    /// </summary>
    public const int UnknownKeyAddedAfterStartUp = 3009;

    /// <summary>
    /// A configuration reload added a <c>Health</c> section (the health check's thresholds) to a section given to
    /// <c>services.AddKeepAlive(section)</c>, and no keep-alive health check reads it: start-up refuses it, but a reload cannot
    /// stop the host, so every check keeps the thresholds it started with; the message names why no check reads it, the
    /// call that does (then a restart), and that the next start-up refuses it; said once per section added (Warning).
    /// </summary>
    public const int HealthSectionAddedAfterStartUp = 3010;

    /// <summary>
    /// A <c>SocketsHttpHandler</c> given a profile with <c>socketsHttpHandler.UseKeepAlive</c> keeps idle pooled connections
    /// that nothing keeps alive against the profile's <c>Heartbeat:PeerIdleTimeout</c>: its <c>Tcp</c> section is off, no
    /// HTTP/2 PING without calls comes within it, and the pool keeps an idle connection longer. Judged on the handler's values
    /// once the profile is applied (one set on it by hand included), with the fix (Warning); and again after an accepted reload
    /// that leaves them unkept (its <c>Tcp</c> section turned off), once per such reload. Also said once per gRPC channel
    /// built on an http or https address with <c>GrpcChannelOptions.UseKeepAlive</c>, on its handler's values then.
    /// </summary>
    public const int IdlePooledConnectionUnkept = 3011;

    // ---- gRPC (KeepAlive.Net.Grpc, 3300-3349) and SignalR (KeepAlive.Net.SignalR, 3350-3399)

    /// <summary>
    /// A gRPC channel balances on the client side (a <c>dns:///</c> address, a load-balancing config): gRPC opens its
    /// sockets, so the profile's <c>Tcp</c> section does not apply; its <c>Http</c> section does (Warning).
    /// </summary>
    public const int GrpcChannelTcpNotApplicable = 3300;

    /// <summary>A gRPC channel's first connection got the profile's <c>Tcp</c> section; gRPC's connectivity tracking is off on that channel (Information).</summary>
    public const int GrpcConnectivityTrackingOff = 3301;

    /// <summary>
    /// A gRPC channel was built from options whose <c>HttpHandler</c> was set after <c>UseKeepAlive</c> to one that neither is
    /// nor wraps the handler carrying the profile: it sends without it, so neither its <c>Tcp</c> nor its <c>Http</c> section
    /// applies; or whose <c>HttpClient</c> was set after it, whose handler cannot be seen, so it may (Warning).
    /// </summary>
    public const int GrpcChannelHandlerReplaced = 3302;

    /// <summary>
    /// A gRPC channel's first connection got the profile's <c>Tcp</c> section, but no channel over that handler was built with
    /// the service provider <c>UseKeepAlive</c> wraps: <c>GrpcChannelOptions.ServiceProvider</c> was set after it, so what
    /// <c>UseKeepAlive</c> does while gRPC builds a channel was not done (Warning).
    /// </summary>
    public const int GrpcChannelBuiltUnseen = 3303;

    /// <summary>
    /// A further gRPC channel is being built from options whose handler <c>UseKeepAlive</c> created and set to be disposed with
    /// the channel, but which carry, since <c>UseKeepAlive</c>, a handler wrapping it or an <c>HttpClient</c>: the channels share
    /// it, and the first one disposed disposes it under the others (Warning).
    /// </summary>
    public const int GrpcChannelSharesADisposedHandler = 3304;

    /// <summary>A hub connection was built with a profile; the message carries the values SignalR gets and where each comes from (Information).</summary>
    public const int SignalRProfileApplied = 3350;

    /// <summary>The profile's <c>Tcp</c> section cannot reach a hub connection's WebSocket (a factory of the user's own, options only its own handler carries...), or any of its sockets (a handler factory whose handler cannot carry it, long polling and Server-Sent Events included); the message says which and why (Warning).</summary>
    public const int SignalRWebSocketTcpNotApplicable = 3351;

    /// <summary>A hub connection's keep-alive interval or server timeout, or its WebSocket's keep-alive interval or timeout (<c>WebSocketConfiguration</c>), was set by hand to another value than the profile's; the profile's wins (Warning).</summary>
    public const int SignalROptionOverridden = 3352;

    /// <summary>
    /// A hub connection starts (or reconnects) with a <c>KeepAliveInterval</c> or <c>ServerTimeout</c> set on the built
    /// <c>HubConnection</c>, past the profile, that <c>Build()</c> would have refused (a reconnect loop, an interval over the
    /// middlebox's budget); said once per such pair of values, with the values and the fix (Warning).
    /// </summary>
    public const int SignalRValueSetAfterBuild = 3353;

    // ---- Client libraries through KeepAlive.Net.Hosting's KeepAliveClientSettings (3200-3299): the
    // ---- KeepAlive.Net.StackExchangeRedis, .RabbitMQ, .Npgsql and .Nats packages share these ids.

    /// <summary>A client library's connection (Redis, RabbitMQ, NATS) was configured with a keep-alive profile; the message carries the effective settings read back from the kernel (Debug).</summary>
    public const int ClientConnectionConfigured = 3200;

    /// <summary>
    /// A client library was set up from a keep-alive profile (Information): one line with what the profile sets on the client,
    /// what keeps the client's own value, what the client cannot do (no probe count, no heartbeat timeout) and what was rounded.
    /// </summary>
    public const int ClientProfileApplied = 3201;

    /// <summary>A client option set by hand (a client library's, or a <c>SocketsHttpHandler</c>'s or <c>ClientWebSocketOptions</c>' under <c>UseKeepAlive</c>) conflicts with the keep-alive profile; the profile's value wins and the message says how to keep yours (Warning).</summary>
    public const int ClientOptionOverridden = 3202;

    /// <summary>A client library's connection has no TCP socket (a Unix domain socket), so the profile's <c>Tcp</c> section does not apply to it (Debug).</summary>
    public const int ClientConnectionWithoutTcp = 3203;

    /// <summary>
    /// A keep-alive profile's reload was accepted, but it changes values a client library took once, when it was set up
    /// (its own heartbeat; all of Npgsql's settings, fixed when the data source is built), so they do not reach that client;
    /// the message names each value and the fix: build the client again (Warning).
    /// </summary>
    public const int ClientReloadNotApplied = 3204;

    /// <summary>
    /// A client library's connection was left as the client (and a socket hook of yours) opened it, because its keep-alive
    /// profile sets <c>Tcp:Enabled</c> false, as a reload may (Debug).
    /// </summary>
    public const int ClientConnectionTcpDisabled = 3205;

    /// <summary>
    /// A client's socket hook (RabbitMQ.Client's <c>ConnectionFactory.SocketFactory</c>, StackExchange.Redis's <c>ConfigurationOptions.Tunnel</c>) was replaced after <c>UseKeepAlive</c>
    /// by one that does not call the package's: a connection opened its socket without the profile's <c>Tcp</c> section.
    /// Logged once per options object, when the first such connection connects, with the fix (Warning).
    /// </summary>
    public const int ClientSocketHookReplaced = 3206;

    /// <summary>
    /// A client's heartbeat interval set by hand after <c>UseKeepAlive</c> (on a copy of the options it returned, NATS.Net's
    /// <c>NatsOpts with { PingInterval = ... }</c>) cannot keep the profile's <c>Heartbeat:PeerIdleTimeout</c> or
    /// <c>Heartbeat:Timeout</c>, and the client keeps the options it was given, so the value <c>UseKeepAlive</c> left cannot be
    /// put back: the connection is refused; the message names your value, the bound and the fix (Warning). Where the value can
    /// be put back (Redis, RabbitMQ), event 3202 says the profile's wins instead.
    /// </summary>
    public const int ClientHeartbeatSetAfterUseKeepAliveRefused = 3207;

    /// <summary>Keep-alive could not be applied to a Kestrel connection, which was accepted without it.</summary>
    public const int KestrelConnectionKeepAliveFailed = 3100;

    /// <summary>A Kestrel connection was configured with a keep-alive profile; the message carries the effective settings.</summary>
    public const int KestrelConnectionConfigured = 3101;

    /// <summary>A Kestrel connection has no TCP socket (for example a named pipe, a Unix-domain socket or an in-memory transport), so the profile's <c>Tcp</c> section was not applied (<c>UseKeepAlive</c> still retires it).</summary>
    public const int KestrelConnectionWithoutSocket = 3102;

    /// <summary>A Kestrel connection reached its maximum age or request count and is being closed gracefully (HTTP/1.1 Connection: close, HTTP/2 GOAWAY).</summary>
    public const int KestrelConnectionRetiring = 3103;

    /// <summary>A retired Kestrel connection did not finish within its grace period and was aborted.</summary>
    public const int KestrelConnectionGracePeriodExpired = 3104;

    /// <summary>SignalR hubs took their keep-alive interval and client timeout from a profile (<c>services.AddSignalR().UseKeepAlive</c>), once for every hub and once for each hub whose <c>AddHubOptions&lt;THub&gt;</c> gives it other values; the message carries the values and where each comes from (Information).</summary>
    public const int HubKeepAliveApplied = 3105;

    /// <summary>
    /// An accepted reload changed a value ASP.NET Core took once, when the endpoint was bound or the hubs were set up
    /// (Kestrel's keep-alive timeout and HTTP/2 pings, UseWebSockets' keep-alive, the hubs' interval and timeout), or asked
    /// for something nothing enforces (<c>Http:MaxRequestsPerConnection</c> without request counting); the message names each
    /// value that stays and the fix, restart the service (for the request limit, call <c>AddKeepAliveRequestLimits()</c> or
    /// remove it first: a restart alone stops the host) (Warning).
    /// </summary>
    public const int ServerReloadNotApplied = 3106;

    /// <summary>
    /// A server-wide value a profile set on Kestrel (keep-alive timeout, HTTP/2 ping delay or timeout) was changed by other
    /// code after <c>listenOptions.UseKeepAlive</c>, so Kestrel does not run with the profile's validated value; logged once
    /// per server, at its first connection, with both values and the fix (Warning).
    /// </summary>
    public const int ServerWideSettingOverridden = 3107;

    /// <summary>
    /// <c>listenOptions.UseKeepAlive</c> replaced a Kestrel limit that other code had set (keep-alive timeout, HTTP/2 ping
    /// delay or timeout, no longer at Kestrel's default) with the profile's; logged when the profile is applied, with both
    /// values and the fix (Warning).
    /// </summary>
    public const int ServerWideSettingReplaced = 3108;

    /// <summary>
    /// A Kestrel endpoint with <c>listenOptions.UseKeepAlive</c> or <c>UseTcpKeepAlive</c> serves HTTP/3 only, where the
    /// profile does nothing: QUIC connections have no TCP socket and are not retired; logged when Kestrel binds the
    /// endpoint, with the fix (Warning).
    /// </summary>
    public const int KestrelEndpointHttp3Only = 3109;

    /// <summary>
    /// A profile applied with <c>listenOptions.UseKeepAlive</c> has a <c>Heartbeat:PeerIdleTimeout</c> but no
    /// <c>Http:KeepAliveTimeout</c>, or one applied with <c>listenOptions.UseTcpKeepAlive</c> (which never applies the profile's
    /// <c>Http:KeepAliveTimeout</c>) has a <c>Heartbeat:PeerIdleTimeout</c>, and the keep-alive timeout Kestrel runs with (its
    /// default 130 s, a value set in code, or another endpoint's profile's) is not longer than the middlebox's: the server closes
    /// idle connections the balancer may reuse (502s); logged once Kestrel has bound the endpoint (when the host has started),
    /// naming it by its bound address, with the fix of that call; said again after an accepted reload that breaks the rule anew,
    /// including one that changes the profile's <c>Http:KeepAliveTimeout</c>, which Kestrel does not take (3106): the timeout
    /// Kestrel took, or one set in code after the call, is then held to the new peer and the fix is the restart that applies
    /// the profile's (Warning).
    /// </summary>
    public const int KestrelKeepAliveTimeoutNotLongerThanPeer = 3110;

    /// <summary>
    /// A profile applied with <c>listenOptions.UseKeepAlive</c> sets HTTP/2 PING settings (<c>Http:KeepAlivePingDelay</c>,
    /// <c>Http:KeepAlivePingTimeout</c>) on an endpoint that serves no HTTP/2 (<c>Protocols = Http1</c>): Kestrel sends PINGs
    /// on HTTP/2 connections only, so they do nothing on its connections; logged once Kestrel has bound the endpoint (when
    /// the host has started), naming it, the profile and the settings, with the fix (Warning).
    /// </summary>
    public const int KestrelEndpointWithoutHttp2ForPings = 3111;
}

using System.Globalization;
using System.Net.Http;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Http;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The rules of a profile's <c>Http</c> and <c>WebSocket</c> sections: each value against its range (the
/// <see cref="KeepAliveRangeAttribute"/> on its property, which also holds the limits Kestrel and
/// <see cref="SocketsHttpHandler"/> enforce, so the host stops at start-up instead of at the first connection), the
/// rules between values of a section, then every layer against the middlebox's idle timeout
/// (<c>Heartbeat:PeerIdleTimeout</c>), knowing which side each setting belongs to.
/// </summary>
internal static class HttpProfileRules
{
    /// <summary>What a client that pings more often than <c>Http:PeerMinPingInterval</c> meets, as the messages say it.</summary>
    public const string TooManyPings = "the server answers PINGs that come more often than it accepts with GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\" and closes the connection (grpc-go and grpc-java servers after two strikes)";

    /// <summary>Validates the <c>Http</c> section; errors are named relative to it, e.g. <c>MaxConnectionAgeJitter</c>.</summary>
    public static List<KeepAliveValidationError> Validate(HttpKeepAliveOptions http)
    {
        var errors = OptionsSchema.For<HttpKeepAliveOptions>().CheckRanges(http).ToList();
        if (http.KeepAlivePingPolicy is { } policy && !Enum.IsDefined(policy))
        {
            errors.Add(new(nameof(http.KeepAlivePingPolicy), Text($"Http:KeepAlivePingPolicy is {policy}, which is not a policy. Fix: write WithActiveRequests or Always.")));
        }

        if (errors.Count == 0)
        {
            CheckPeerPingPolicy(http, errors);
        }

        if (http.KeepAlivePingTimeout is { } pingTimeout && http.KeepAlivePingDelay is null && errors.Count == 0)
        {
            // As WebSocket:KeepAliveTimeout without an interval: SocketsHttpHandler and Kestrel send no PING unless given a delay.
            errors.Add(new(nameof(http.KeepAlivePingTimeout), Text($"Http:KeepAlivePingTimeout is {Show(pingTimeout)}, but without Http:KeepAlivePingDelay no PING is ever sent (SocketsHttpHandler and Kestrel send none by default), so a dead peer is never detected. Fix: set Http:KeepAlivePingDelay, for example \"30s\", or remove Http:KeepAlivePingTimeout.")));
        }

        if (http.MaxConnectionAgeJitter is { } jitter && errors.Count == 0)
        {
            // It shortens both ages (the server's and each client handler's), so it is bounded by the shorter one.
            (string? Key, TimeSpan? Age)[] ages = [("Http:MaxConnectionAge", http.MaxConnectionAge), ("Http:PooledConnectionLifetime", http.PooledConnectionLifetime)];
            var (key, age) = ages.Where(static a => a.Age is not null).DefaultIfEmpty().MinBy(static a => a.Age);
            if (age is null)
            {
                errors.Add(new(nameof(http.MaxConnectionAgeJitter), Text($"Http:MaxConnectionAgeJitter is {Show(jitter)}, but there is no Http:MaxConnectionAge or Http:PooledConnectionLifetime for it to shorten. Fix: set Http:MaxConnectionAge (server) or Http:PooledConnectionLifetime (client), or remove the jitter.")));
            }
            else if (jitter > AgeJitter.Largest(age.Value))
            {
                errors.Add(new(nameof(http.MaxConnectionAgeJitter), Text($"Http:MaxConnectionAgeJitter is {Show(jitter)}, more than {AgeJitter.LargestShare} of {key} {Show(age.Value)}, which it shortens: a connection's age could be drawn down to {(jitter < age ? Show(age.Value - jitter) : "nothing")}, so a new connection could be retired almost at once (over HTTP/1.1 before its first request is read). Fix: set it to at most {Show(AgeJitter.Largest(age.Value))}, better about a tenth of the age, for example {Show(age.Value / 10)}.")));
            }
        }

        if (http.ConnectionCloseGracePeriod is { } grace && http.MaxConnectionAge is null && http.MaxRequestsPerConnection is null && errors.Count == 0)
        {
            // Like a jitter without an age: the value is only used once a connection is retired, so alone it does nothing.
            errors.Add(new(nameof(http.ConnectionCloseGracePeriod), Text($"Http:ConnectionCloseGracePeriod is {Show(grace)}, but nothing retires a connection (no Http:MaxConnectionAge or Http:MaxRequestsPerConnection), so it never applies; it is not Kestrel's shutdown timeout (HostOptions.ShutdownTimeout). Fix: set Http:MaxConnectionAge or Http:MaxRequestsPerConnection, or remove the grace period.")));
        }

        return errors;
    }

    /// <summary>Whether a ping runs on connections with no request in flight: the policy set, else the server's permission, else the handler's default (always).</summary>
    public static bool PingsWithoutCalls(HttpKeepAliveOptions http) =>
        (http.KeepAlivePingPolicy ?? (http.PeerPermitsPingsWithoutCalls == false ? HttpKeepAlivePingPolicy.WithActiveRequests : HttpKeepAlivePingPolicy.Always)) == HttpKeepAlivePingPolicy.Always;

    /// <summary>The server's ping policy (grpc-go, grpc-java): no PING more often than it accepts, none on an idle connection unless it permits them.</summary>
    private static void CheckPeerPingPolicy(HttpKeepAliveOptions http, List<KeepAliveValidationError> errors)
    {
        if (http.KeepAlivePingDelay is { } delay && http.PeerMinPingInterval is { } minimum && delay < minimum)
        {
            errors.Add(new(nameof(http.KeepAlivePingDelay), Text($"Http:KeepAlivePingDelay is {Show(delay)}, below Http:PeerMinPingInterval {Show(minimum)}: {TooManyPings}. Fix: set Http:KeepAlivePingDelay to at least {Show(minimum)}, or remove it and let the Tcp section keep the connection alive (the kernel's probes are not HTTP/2 PINGs, so the server's policy does not count them).")));
        }

        if (http.PeerPermitsPingsWithoutCalls == false && http.KeepAlivePingPolicy == HttpKeepAlivePingPolicy.Always)
        {
            errors.Add(new(nameof(http.KeepAlivePingPolicy), Text($"Http:KeepAlivePingPolicy is Always, but Http:PeerPermitsPingsWithoutCalls is false: the server answers a PING on a connection with no call in flight with GOAWAY \"too_many_pings\". Fix: set Http:KeepAlivePingPolicy to WithActiveRequests, or remove it (with PeerPermitsPingsWithoutCalls false the client then pings only with requests in flight), and let the Tcp section keep idle connections alive.")));
        }
    }

    /// <summary>Validates the <c>WebSocket</c> section; errors are named relative to it, e.g. <c>KeepAliveTimeout</c>.</summary>
    public static List<KeepAliveValidationError> Validate(WebSocketKeepAliveOptions webSocket)
    {
        var errors = OptionsSchema.For<WebSocketKeepAliveOptions>().CheckRanges(webSocket).ToList();
        if (webSocket.KeepAliveTimeout is { } timeout && errors.Count == 0 && !SendsPings(webSocket))
        {
            errors.Add(new(nameof(webSocket.KeepAliveTimeout), Text($"WebSocket:KeepAliveTimeout is {Show(timeout)}, but WebSocket:KeepAliveInterval is 0s, which turns keep-alive frames off: no PING is ever sent, so a dead peer is never detected. Fix: set WebSocket:KeepAliveInterval, for example \"30s\", or remove it to keep the platform's (30s on the client, 2m on the server).")));
        }

        return errors;
    }

    /// <summary>
    /// Whether the WebSocket sends keep-alive frames (PINGs, with a timeout): unless its interval is 0. Unset, the interval is
    /// the platform's own (<see cref="System.Net.WebSockets.ClientWebSocketOptions.KeepAliveInterval"/> 30 s, UseWebSockets 2 min).
    /// </summary>
    public static bool SendsPings(WebSocketKeepAliveOptions webSocket) => webSocket.KeepAliveInterval != TimeSpan.Zero;

    /// <summary>
    /// Checks every layer against <c>Heartbeat:PeerIdleTimeout</c>, when there is one; errors are named relative to the
    /// profile, e.g. <c>Http:KeepAliveTimeout</c>. Run only on a profile whose values are each valid.
    /// </summary>
    public static List<KeepAliveValidationError> CheckAgainstPeer(KeepAliveProfileOptions options)
    {
        var errors = new List<KeepAliveValidationError>();
        if (options.Heartbeat?.PeerIdleTimeout is { } peer)
        {
            CheckAgainstPeer(options, peer, errors);
        }

        return errors;
    }

    private static void CheckAgainstPeer(KeepAliveProfileOptions options, PeerIdleTimeout peer, List<KeepAliveValidationError> errors)
    {
        var http = options.Http;
        var idle = peer.Value;
        var heartbeat = options.Heartbeat!;
        var limit = heartbeat.LongestIntervalForPeer!.Value;
        if (http?.KeepAliveTimeout is { } serverIdle && ServerClosesFirst("Http:KeepAliveTimeout", serverIdle, peer) is { } closesFirst)
        {
            errors.Add(new("Http:KeepAliveTimeout", closesFirst));
        }

        if (http?.PooledConnectionIdleTimeout is { } clientIdle && clientIdle >= idle)
        {
            errors.Add(new("Http:PooledConnectionIdleTimeout", Text($"Http:PooledConnectionIdleTimeout is {Show(clientIdle)}, not shorter than Heartbeat:PeerIdleTimeout {peer}: a client must drop an idle pooled connection before the middlebox forgets it, else the next request is sent into a dead flow. Fix: set Http:PooledConnectionIdleTimeout below {Show(idle)}, for example {Show(Below(idle))}.")));
        }

        if (http?.KeepAlivePingDelay is { } pingDelay && http.PeerMinPingInterval is { } minimum && minimum >= idle)
        {
            errors.Add(new("Http:KeepAlivePingDelay", Text($"Http:KeepAlivePingDelay is {Show(pingDelay)}, but no ping delay can satisfy both the server and the middlebox: the server accepts a PING at most every {Show(minimum)} (Http:PeerMinPingInterval), and the middlebox forgets a silent connection after Heartbeat:PeerIdleTimeout {peer}. Fix: remove Http:KeepAlivePingDelay and keep the connection with the Tcp section (its probes are not HTTP/2 PINGs, so the server's policy does not count them), or have the server accept PINGs at least every {Show(limit)} and lower Http:PeerMinPingInterval to match.")));
        }
        else if (http?.KeepAlivePingDelay is { } silentFor && silentFor >= idle)
        {
            errors.Add(new("Http:KeepAlivePingDelay", Text($"Http:KeepAlivePingDelay is {Show(silentFor)}, not shorter than Heartbeat:PeerIdleTimeout {peer}: the middlebox forgets a silent HTTP/2 connection before the first PING. Fix: set Http:KeepAlivePingDelay to at most {Show(limit)}.")));
        }

        if (RefusedByTheProfilesOwnRules(options) is { } unkept)
        {
            errors.Add(unkept);
        }

        if (options.WebSocket?.KeepAliveInterval is { } wsInterval && wsInterval > limit)
        {
            errors.Add(new("WebSocket:KeepAliveInterval", Text($"WebSocket:KeepAliveInterval is {Show(wsInterval)}, over {KeepAliveProfileRules.LongestIntervalForPeer(heartbeat, limit)}: one late or lost keep-alive frame would let the middlebox drop the WebSocket. Fix: set WebSocket:KeepAliveInterval to at most {Show(limit)}.")));
        }
    }

    /// <summary>
    /// The client's rule for an idle pooled connection against <c>Heartbeat:PeerIdleTimeout</c>: the pool drops it before the
    /// middlebox forgets it, or something keeps it alive while it waits (the <c>Tcp</c> section, whose probes its own rule holds
    /// within the peer idle timeout, or HTTP/2 PINGs without calls, whose delay <see cref="CheckAgainstPeer(KeepAliveProfileOptions)"/>
    /// holds below it). Only a client pools connections: run where the profile is put on a client's handler
    /// (<c>httpClientBuilder.UseKeepAlive</c>; <c>UseTcpKeepAlive</c> alone, which applies no Http section, by
    /// <see cref="CheckForTcpSectionOnly"/>), and by <see cref="CheckAgainstPeer(KeepAliveProfileOptions)"/> only for a profile
    /// whose Http section is a client's (pings only with calls); a profile Kestrel or a client library uses has no pool.
    /// </summary>
    /// <returns>The error, on <c>Tcp:Enabled</c>, with the values and the fix; <see langword="null"/> when the rule holds or does
    /// not apply (no <c>Heartbeat:PeerIdleTimeout</c>, or an <c>Http:PooledConnectionIdleTimeout</c> set, which <see cref="CheckAgainstPeer(KeepAliveProfileOptions)"/> holds below it).</returns>
    public static KeepAliveValidationError? IdlePooledConnectionUnkept(KeepAliveProfileOptions options) => IdlePooledConnectionUnkept(options, tcpSectionOnly: null);

    /// <summary>
    /// <see cref="IdlePooledConnectionUnkept(KeepAliveProfileOptions)"/> for a profile a client's pool takes, unless the
    /// profile's own validation (<see cref="CheckAgainstPeer(KeepAliveProfileOptions)"/>) says it already: each failure is said once.
    /// </summary>
    public static IEnumerable<KeepAliveValidationError> CheckForAPool(KeepAliveProfileOptions options) =>
        !PingsOnlyWithCalls(options.Http) && IdlePooledConnectionUnkept(options) is { } unkept ? [unkept] : [];

    /// <summary>
    /// The same rule for the HttpClients that take the profile with <c>UseTcpKeepAlive</c> only (<paramref name="clients"/>, as
    /// messages name them): the <c>Http</c> section is not applied to their handler, so neither its pool timeout nor its PINGs
    /// count, and with the <c>Tcp</c> section off the handler's own pool keeps an idle connection with no keep-alive at all.
    /// Said once: not when the profile's own validation refuses it on the same key already.
    /// </summary>
    /// <param name="options">The profile.</param>
    /// <param name="profileName">The profile's name, as the fix calls <c>UseKeepAlive</c> with it.</param>
    /// <param name="clients">The clients that take only its <c>Tcp</c> section; none, no error.</param>
    public static IEnumerable<KeepAliveValidationError> CheckForTcpSectionOnly(KeepAliveProfileOptions options, string profileName, IReadOnlyCollection<string> clients) =>
        clients.Count > 0 && RefusedByTheProfilesOwnRules(options) is null
        && IdlePooledConnectionUnkept(options, (profileName, clients)) is { } unkept ? [unkept] : [];

    // The rule, declared once; tcpSectionOnly: the profile and the clients whose handler takes none of its Http section.
    private static KeepAliveValidationError? IdlePooledConnectionUnkept(KeepAliveProfileOptions options, (string Profile, IReadOnlyCollection<string> Clients)? tcpSectionOnly)
    {
        var http = tcpSectionOnly is null ? options.Http : null; // not applied: the handler's own pool timeout, and no PING

        // A pool timeout or PINGs without calls the profile sets are held below the peer by their own rules (CheckAgainstPeer), which say it once.
        if (options.Heartbeat?.PeerIdleTimeout is not { } peer || options.Tcp is { Enabled: true } || http?.PooledConnectionIdleTimeout is not null
            || (http?.KeepAlivePingDelay is not null && PingsWithoutCalls(http))
            || OnANewHandler(http, peer.Value) != IdlePooledConnectionKeeper.Nothing)
        {
            return null;
        }

        var unkept = tcpSectionOnly is { } only
            ? Text($"{string.Join(" and ", only.Clients)} {(only.Clients.Count == 1 ? "takes" : "take")} the profile with UseTcpKeepAlive(\"{only.Profile}\"), which applies its Tcp section only (not the Http section: no Http:PooledConnectionIdleTimeout, no HTTP/2 PING)")
            : http?.KeepAlivePingDelay is null
            ? "Http:KeepAlivePingDelay is not set (SocketsHttpHandler sends no HTTP/2 PING by default), and Http:PooledConnectionIdleTimeout is not set"
            : "HTTP/2 PINGs run only with requests in flight (Http:KeepAlivePingPolicy WithActiveRequests or Http:PeerPermitsPingsWithoutCalls false), and Http:PooledConnectionIdleTimeout is not set";
        var fix = Fixes(peer.Value, pingFix: null, tcpSectionOnly is { } client ? $"use UseKeepAlive(\"{client.Profile}\") instead, with" : "set");
        return new("Tcp:Enabled", Text($"Tcp:Enabled is false, {unkept}, so SocketsHttpHandler keeps an idle pooled connection for {Show(SocketsHttpHandlerDefaults.PooledConnectionIdleTimeout)}, not less than Heartbeat:PeerIdleTimeout {peer}: an idle connection has no keep-alive at all, the middlebox forgets it, and the client sends its next request into a dead flow. Fix: {fix}."));
    }

    /// <summary>
    /// The pool's rule on a handler <c>socketsHttpHandler.UseKeepAlive</c> set up, judged on the values it runs with once the
    /// profile is applied: the profile's, else the handler's own (a <see cref="SocketsHttpHandler.PooledConnectionIdleTimeout"/>
    /// set on it by hand counts). The profile's <c>Tcp</c> section, when enabled, keeps an idle connection by its own rule.
    /// </summary>
    /// <param name="options">The profile.</param>
    /// <param name="profileName">The profile's name, as the message names it.</param>
    /// <param name="handler">The handler, with the profile applied.</param>
    /// <returns>Why nothing keeps an idle pooled connection, with the values and the fix; <see langword="null"/> when something does, or without a <c>Heartbeat:PeerIdleTimeout</c>.</returns>
    public static string? IdlePooledConnectionUnkept(KeepAliveProfileOptions options, string profileName, SocketsHttpHandler handler) =>
        IdlePooledConnectionUnkept(options, profileName, PoolValues(handler), started: false);

    /// <summary>
    /// <see cref="IdlePooledConnectionUnkept(KeepAliveProfileOptions, string, SocketsHttpHandler)"/> on the values a handler
    /// runs with (<see cref="PoolValues"/>): after a reload (<paramref name="started"/>), the handler keeps the Http values it
    /// took while the reloaded <c>Tcp</c> section reaches its next connections, and the fix says so.
    /// </summary>
    /// <param name="options">The profile, as it is now.</param>
    /// <param name="profileName">The profile's name, as the message names it.</param>
    /// <param name="handler">The handler's values.</param>
    /// <param name="started">Whether the handler took the profile's Http values already (judged after a reload).</param>
    /// <returns>Why nothing keeps an idle pooled connection, with the values and the fix; <see langword="null"/> when something does, or without a <c>Heartbeat:PeerIdleTimeout</c>.</returns>
    public static string? IdlePooledConnectionUnkept(KeepAliveProfileOptions options, string profileName, (TimeSpan PingDelay, HttpKeepAlivePingPolicy PingPolicy, TimeSpan PoolIdleTimeout) handler, bool started)
    {
        var (pings, policy, pool) = handler;
        if (options.Heartbeat?.PeerIdleTimeout is not { } peer || options.Tcp is { Enabled: true }
            || WhatKeepsAnIdlePooledConnection(peer.Value, pings, policy, pool) != IdlePooledConnectionKeeper.Nothing)
        {
            return null;
        }

        var reaches = started ? " (an Http value reaches a new SocketsHttpHandler given the profile, not this one, which keeps those it took; the Tcp section reaches its next connections)" : null;
        return Text($"nothing keeps an idle pooled connection against Heartbeat:PeerIdleTimeout {peer} of KeepAlive profile '{profileName}': Tcp:Enabled is false, {NoPingKeeps(pings, policy)}, and the pool keeps an idle connection {PoolKeeps(pool, peer)}, so the middlebox forgets it and the next request goes into a dead flow. Fix: {Fixes(peer.Value, PingsWithoutCallsFix(options), "set")}{reaches}.");
    }

    /// <summary>The values of a handler that <see cref="WhatKeepsAnIdlePooledConnection"/> judges.</summary>
    /// <param name="handler">The handler.</param>
    public static (TimeSpan PingDelay, HttpKeepAlivePingPolicy PingPolicy, TimeSpan PoolIdleTimeout) PoolValues(SocketsHttpHandler handler) =>
        (handler.KeepAlivePingDelay, handler.KeepAlivePingPolicy, handler.PooledConnectionIdleTimeout);

    /// <summary>Why a handler's HTTP/2 PINGs keep no idle connection (none, too rare, only with calls), as messages say it.</summary>
    /// <param name="pingDelay">The handler's <see cref="SocketsHttpHandler.KeepAlivePingDelay"/>.</param>
    /// <param name="pingPolicy">The handler's <see cref="SocketsHttpHandler.KeepAlivePingPolicy"/>.</param>
    public static string NoPingKeeps(TimeSpan pingDelay, HttpKeepAlivePingPolicy pingPolicy) =>
        pingDelay == Timeout.InfiniteTimeSpan ? "no HTTP/2 PING is sent (Http:KeepAlivePingDelay is not set)"
        : pingPolicy == HttpKeepAlivePingPolicy.Always ? Text($"the HTTP/2 PINGs come every {Show(pingDelay)} (Http:KeepAlivePingDelay), not before the middlebox forgets the connection")
        : "the HTTP/2 PINGs run only with calls in flight (Http:KeepAlivePingPolicy WithActiveRequests or Http:PeerPermitsPingsWithoutCalls false)";

    /// <summary>How long a handler's pool keeps an idle connection that the middlebox forgets first, as messages say it.</summary>
    /// <param name="poolIdleTimeout">The handler's <see cref="SocketsHttpHandler.PooledConnectionIdleTimeout"/>, not below the peer's.</param>
    /// <param name="peer">The middlebox's idle timeout.</param>
    public static string PoolKeeps(TimeSpan poolIdleTimeout, PeerIdleTimeout peer) => poolIdleTimeout == Timeout.InfiniteTimeSpan
        ? "for as long as it lives (Http:PooledConnectionIdleTimeout Infinite)"
        : Text($"for {Show(poolIdleTimeout)} (Http:PooledConnectionIdleTimeout), not less than {peer}");

    /// <summary>The fix of HTTP/2 PINGs without calls for an idle connection, as messages say it: within the peer's idle timeout.</summary>
    /// <param name="options">The profile, with a <c>Heartbeat:PeerIdleTimeout</c>.</param>
    /// <returns>The fix; <see langword="null"/> where the server refuses PINGs without calls (<c>Http:PeerPermitsPingsWithoutCalls</c> false), so that it cannot work.</returns>
    public static string? PingsWithoutCallsFix(KeepAliveProfileOptions options) =>
        options.Http.PeerPermitsPingsWithoutCalls == false || options.Heartbeat?.LongestIntervalForPeer is not { } limit ? null
        : Text($"set Http:KeepAlivePingDelay to at most {Show(limit)} with PINGs without calls");

    // Only the fixes that can work: a Tcp section the Tcp rule accepts, PINGs without calls where the server permits them
    // (pingFix), a pool timeout within its range below the peer's (poolFixSets: how the fix words setting it).
    private static string Fixes(TimeSpan idle, string? pingFix, string poolFixSets)
    {
        var example = Below(idle) < PoolIdleFloor ? PoolIdleFloor : Below(idle);
        string[] fixes = [.. new[]
        {
            KeepAliveProfileRules.TcpSectionCanKeep(idle) ? Text($"enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below {Show(idle)}) so the kernel keeps idle connections alive") : null,
            pingFix,
            example < idle ? Text($"{poolFixSets} Http:PooledConnectionIdleTimeout below {Show(idle)}, for example {Show(example)}, so the client drops an idle connection first") : null,
        }.OfType<string>()];
        return fixes.Length > 0
            ? string.Join(", or ", fixes)
            : Text($"remove Heartbeat:PeerIdleTimeout or raise it above {Show(PoolIdleFloor)} (nothing else can keep or drop the idle connection in time: {KeepAliveProfileRules.NoTcpSectionCan}, and Http:PooledConnectionIdleTimeout is at least {Show(PoolIdleFloor)})");
    }

    /// <summary>
    /// What keeps an idle pooled connection against the middlebox's idle timeout when the <c>Tcp</c> section does not, from the
    /// values a <see cref="SocketsHttpHandler"/> runs with (<see cref="Timeout.InfiniteTimeSpan"/> for none): HTTP/2 PINGs sent
    /// without calls at a delay below it, else the pool dropping the connection before the middlebox forgets it, else nothing.
    /// The one rule: judged on a profile's values at start-up and at each reload (<see cref="IdlePooledConnectionUnkept(KeepAliveProfileOptions)"/>),
    /// and on a handler's own values where they are in force (gRPC's event 3300).
    /// </summary>
    /// <param name="peerIdleTimeout">The middlebox's idle timeout (<c>Heartbeat:PeerIdleTimeout</c>).</param>
    /// <param name="pingDelay">The handler's <see cref="SocketsHttpHandler.KeepAlivePingDelay"/>.</param>
    /// <param name="pingPolicy">The handler's <see cref="SocketsHttpHandler.KeepAlivePingPolicy"/>.</param>
    /// <param name="poolIdleTimeout">The handler's <see cref="SocketsHttpHandler.PooledConnectionIdleTimeout"/>.</param>
    /// <returns>What keeps the connection, or <see cref="IdlePooledConnectionKeeper.Nothing"/>.</returns>
    public static IdlePooledConnectionKeeper WhatKeepsAnIdlePooledConnection(TimeSpan peerIdleTimeout, TimeSpan pingDelay, HttpKeepAlivePingPolicy pingPolicy, TimeSpan poolIdleTimeout) =>
        pingDelay != Timeout.InfiniteTimeSpan && pingPolicy == HttpKeepAlivePingPolicy.Always && pingDelay < peerIdleTimeout ? IdlePooledConnectionKeeper.PingsWithoutCalls
        : poolIdleTimeout != Timeout.InfiniteTimeSpan && poolIdleTimeout < peerIdleTimeout ? IdlePooledConnectionKeeper.PoolIdleTimeout
        : IdlePooledConnectionKeeper.Nothing;

    // What keeps an idle pooled connection on a new handler given the section's values (none: the handler's own).
    private static IdlePooledConnectionKeeper OnANewHandler(HttpKeepAliveOptions? http, TimeSpan peerIdle) =>
        WhatKeepsAnIdlePooledConnection(peerIdle, http?.KeepAlivePingDelay ?? SocketsHttpHandlerDefaults.KeepAlivePingDelay,
            http is null ? SocketsHttpHandlerDefaults.KeepAlivePingPolicy : PingsWithoutCalls(http) ? HttpKeepAlivePingPolicy.Always : HttpKeepAlivePingPolicy.WithActiveRequests,
            http?.PooledConnectionIdleTimeout ?? SocketsHttpHandlerDefaults.PooledConnectionIdleTimeout);

    // The pool's rule as the profile's own validation (CheckAgainstPeer) judges it, with the Http section: only for a profile that is a client's.
    private static KeepAliveValidationError? RefusedByTheProfilesOwnRules(KeepAliveProfileOptions options) =>
        PingsOnlyWithCalls(options.Http) ? IdlePooledConnectionUnkept(options) : null;

    // A ping delay that runs only with calls is set for a client (the policy and the server's permission are client keys): a
    // profile with one is a client's, and its own validation holds it to the pool's rule.
    private static bool PingsOnlyWithCalls(HttpKeepAliveOptions? http) => http?.KeepAlivePingDelay is not null && !PingsWithoutCalls(http);

    private static TimeSpan PoolIdleFloor { get; } = KeepAliveProfileRules.Floor(OptionsSchema.For<HttpKeepAliveOptions>(), nameof(HttpKeepAliveOptions.PooledConnectionIdleTimeout));

    /// <summary>
    /// The server's keep-alive timeout (<paramref name="what"/>: <c>Http:KeepAliveTimeout</c>, or Kestrel's limit in force where
    /// the profile sets none) against the middlebox's: not longer, the server closes idle connections the balancer may reuse.
    /// <paramref name="fixSets"/>: what the fix sets above the middlebox's, as the fix words it: <c>Http:KeepAliveTimeout</c> of the
    /// profile checked, unless another profile sets the server-wide value in force ("Http:KeepAliveTimeout in KeepAlive profile
    /// 'short'") or the profile's is not applied (<c>UseTcpKeepAlive</c>: Kestrel's limit in code, or the profile with <c>UseKeepAlive</c>).
    /// <paramref name="fix"/>: the fix where setting a value is not it (the profile's own is above the middlebox's, but the server
    /// took another one: a restart applies it); <see langword="null"/>: set <paramref name="fixSets"/> above the middlebox's.
    /// </summary>
    /// <returns>The message, with the fix; <see langword="null"/> when the server outlasts the middlebox.</returns>
    public static string? ServerClosesFirst(string what, TimeSpan serverIdle, PeerIdleTimeout peer, string fixSets = "Http:KeepAliveTimeout", string? fix = null) => serverIdle > peer.Value ? null
        : Text($"{what} is {Show(serverIdle)}, not longer than Heartbeat:PeerIdleTimeout {peer}: a server behind a load balancer must keep idle connections open longer than the balancer does, else the balancer sends a request on a connection the server has just closed and the client gets a 502. Fix: {fix ?? Text($"set {fixSets} above {Show(peer.Value)}, for example {Show(peer.Value + Margin(peer.Value))}")}.");

    private static TimeSpan Margin(TimeSpan idle) => TimeSpan.FromSeconds(Math.Max(5, Math.Round(idle.TotalSeconds / 10)));

    // A time below the idle timeout: less the margin, but never less than half of it (a 5 s margin off a 4 s middlebox is negative).
    private static TimeSpan Below(TimeSpan idle) => TimeSpan.FromTicks(Math.Max((idle - Margin(idle)).Ticks, (idle / 2).Ticks));

    private static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

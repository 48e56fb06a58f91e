using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;
using KeepAlive.Net.SignalR.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.SignalR;

/// <summary>
/// A profile applied to one hub connection's options, after the builder's own configuration: the hub connection's
/// interval and timeout; the connection's handler (the <c>Tcp</c> section on the sockets of negotiation, Server-Sent Events
/// and long polling); and the WebSocket, which SignalR connects with a handler of its own that no option reaches: it is
/// connected instead through an invoker over the connection's handler (the <c>Tcp</c> section on its socket too), with the
/// headers, access token and <c>WebSocketConfiguration</c> SignalR's own WebSocket factory gives it, and the
/// <c>WebSocket</c> section.
/// </summary>
[UnsupportedOSPlatform("browser")]
internal sealed class KeepAliveHubConnection(IKeepAliveProfiles profiles, KeepAliveSignalRSettings settings, ILoggerFactory? loggerFactory, IServiceProvider services)
    : IPostConfigureOptions<HubConnectionOptions>, IPostConfigureOptions<HttpConnectionOptions>, IDisposable
{
    private static readonly IWebProxy? DefaultWebSocketProxy = DefaultProxyOfNewOptions();

    /// <summary>The User-Agent SignalR's own WebSocket factory sends, built as SignalR builds it, from the same assembly.</summary>
    private static readonly string SignalRUserAgent = UserAgentOfSignalR();
    private const string TheWebSocket = "the WebSocket's socket";
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.SignalR");
    private int _handlerReported;
    private int _webSocketReported;

    /// <summary>The fix of 3204 for the values the hub connection takes when it is built.</summary>
    private const string RebuildFix = "build the hub connection again with UseKeepAlive (its sockets already follow reloads; KeepAliveInterval and ServerTimeout are fixed when it is built)";

    /// <summary>The fix of 3204 for the <c>Http</c> values of a handler your factory returns at every connection.</summary>
    private const string SameHandlerFix = "return a new SocketsHttpHandler from the HttpMessageHandlerFactory at each call, not the same one (SignalR asks for one at each connection, reconnections included, and disposes it with the connection; the hub connection sets each up with the profile, so the Http section follows reloads at the next connection)";

    /// <summary>What keeps warning 3204 for this connection: released when the hub connection disposes its services, and this with them.</summary>
    private KeepAlive.Net.Hosting.Clients.ClientHold? _hold;

    /// <summary>The values the connection keeps of its own where the profile leaves them alone (set by hand), once it is built.</summary>
    private (TimeSpan? Interval, TimeSpan? Timeout)? _yours;

    /// <summary>Handlers of the factory of yours that this connection has set up, to know one it gets again.</summary>
    private readonly ConditionalWeakTable<SocketsHttpHandler, object> _handlersSetUp = [];
    private int _handlerStays;
    private int _disposed;

    /// <summary>The hub connection's interval and timeout last judged when it started, so that each pair is said once.</summary>
    private (TimeSpan Interval, TimeSpan Timeout)? _judgedAtStart;
    private readonly Lock _judging = new();

    private string ProfileName => settings.ProfileName;

    public void PostConfigure(string? name, HubConnectionOptions options)
    {
        var (yourInterval, yourTimeout) = (options.KeepAliveInterval, options.ServerTimeout);
        var keys = SignalRProfileRules.Resolve(settings.Profile);
        if (settings.KeepAliveInterval is { } interval)
        {
            ReportIfHandSet(KeepAliveSignalRSettings.ClientKeepAliveIntervalInCode, options.KeepAliveInterval, HubConnection.DefaultKeepAliveInterval, interval, keys.KeepAliveInterval.Key, "SignalR:KeepAliveInterval");
            options.KeepAliveInterval = interval;
        }

        if (settings.ServerTimeout is { } timeout)
        {
            ReportIfHandSet(KeepAliveSignalRSettings.ClientServerTimeoutInCode, options.ServerTimeout, HubConnection.DefaultServerTimeout, timeout, keys.ServerTimeout.Key, "SignalR:ServerTimeout");
            options.ServerTimeout = timeout;
        }

        settings.ThrowIfReconnectLoop(serverTimeout: options.ServerTimeout, clientKeepAliveInterval: options.KeepAliveInterval);

        // What the connection runs with, hand-set values the profile leaves alone included; the URL is the connection's.
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var applied = settings.Describe(options.KeepAliveInterval, options.ServerTimeout);
            var http = services.GetService<IOptions<HttpConnectionOptions>>()?.Value;
            var layers = LongPollingOnly(http)
                ? "long polling only, on which SignalR sends no keep-alive messages and runs no ServerTimeout (each poll stands in for them), so neither value runs on this connection: the Tcp section on every poll's socket is what finds a dead server"
                : !OpensWebSockets(http)
                ? "the Tcp section on every transport's socket; the WebSocket section on none, as HttpConnectionOptions.Transports leave out WebSockets"
                : http?.WebSocketFactory is { Target: not OwnWebSocketFactory }
                ? "the Tcp section on the sockets of negotiation, Server-Sent Events and long polling, not the WebSocket's: a WebSocketFactory of your own opens it (event 3351), and the WebSocket section in WebSocketConfiguration, for it to apply"
                : "the Tcp section on every transport's socket, the WebSocket section on the WebSocket";
            Log.ProfileApplied(_logger, http?.Url, ProfileName, applied, layers);
        }

        WarnWhenReloadsAreNotTaken(yourInterval, yourTimeout);
    }

    /// <summary>
    /// The hub connection takes its interval and timeout once, when it is built: warns after every accepted reload that
    /// changes one of them (event 3204, as the client packages), with the value that stays and the fix.
    /// </summary>
    private void WarnWhenReloadsAreNotTaken(TimeSpan yourInterval, TimeSpan yourTimeout)
    {
        // A value the profile leaves alone is SignalR's own, or yours when set by hand.
        (TimeSpan? Interval, TimeSpan? Timeout) yours = (yourInterval != HubConnection.DefaultKeepAliveInterval ? yourInterval : null, yourTimeout != HubConnection.DefaultServerTimeout ? yourTimeout : null);
        _yours = yours;
        Watch(Taken(settings, yours), ValuesNow(profiles, ProfileName, yours, http: null), RebuildFix);
    }

    /// <summary>
    /// The factory of yours returned a handler this connection set up before: it keeps the <c>Http</c> values it took at
    /// every connection, reconnections included, so the connection's 3204 names them too, with the fix for them (once per
    /// connection; the handler's own 3204 is left to the connection's, one reload, one warning). A reload that changed them
    /// before the handler came back (long polling and Server-Sent Events ask at each connection) is said now, once.
    /// </summary>
    private void WarnThatTheHandlerStays(SocketsHttpHandler handler)
    {
        if (_yours is not { } yours || KeepAliveSocketsHttpHandlerExtensions.HttpValuesTaken(handler) is not { } http || Interlocked.Exchange(ref _handlerStays, 1) == 1)
        {
            return;
        }

        var taken = Taken(settings, yours);
        var fix = taken.Count == 0 ? SameHandlerFix : $"{SameHandlerFix}; for KeepAliveInterval and ServerTimeout, {RebuildFix}";
        foreach (var (setting, value) in http.Taken)
        {
            taken[setting] = value;
        }

        // Said at once only when a reload before the handler came back changed its Http values (or they no longer suit it).
        Watch(taken, ValuesNow(profiles, ProfileName, yours, http.Now), fix, sayNow: KeepAlive.Net.Hosting.Clients.ClientReloadWatch.Differs(http.Taken, http.Now));
    }

    /// <summary>Watches <paramref name="taken"/> for this connection, in place of what it watched before (held by the hub connection, through its services, until it is disposed).</summary>
    private void Watch(Dictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now, string fix, bool sayNow = false)
    {
        // The watcher is shared by every connection built with these values, and outlives the first of them: it warns
        // where the profiles report their reloads, as the client packages do, not through one connection's logging.
        var hold = new KeepAlive.Net.Hosting.Clients.ClientHold();
        IReadOnlyDictionary<string, string> runs = (settings.KeepAliveInterval ?? _yours?.Interval) is { } interval
            ? new Dictionary<string, string>(StringComparer.Ordinal) { [KeepAliveSignalRSettings.ClientKeepAliveInterval] = KeepAliveDuration.Format(interval) }
            : new Dictionary<string, string>(StringComparer.Ordinal);
        KeepAlive.Net.Hosting.Clients.ClientReloadWatch.Warn(profiles, ProfileName, "SignalR hub connection", fix,
            KeepAlive.Net.Hosting.Profiles.KeepAliveProfiles.LoggerOf(profiles), hold, taken, now, inForce: () => runs, sayNow: sayNow);
        Interlocked.Exchange(ref _hold, hold)?.Release();
        if (Volatile.Read(ref _disposed) == 1)
        {
            hold.Release();
        }
    }

    /// <summary>The values the connection takes from <paramref name="s"/>, by client setting.</summary>
    private static Dictionary<string, string> Taken(KeepAliveSignalRSettings s, (TimeSpan? Interval, TimeSpan? Timeout) yours)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if ((s.ShownKeepAliveInterval ?? (yours.Interval is { } own ? KeepAliveDuration.Format(own) : null)) is { } interval)
        {
            values[KeepAliveSignalRSettings.ClientKeepAliveInterval] = interval; // as the profile says it (and what runs, where rounded)
        }

        if ((s.ServerTimeout ?? yours.Timeout) is { } timeout)
        {
            values[KeepAliveSignalRSettings.ClientServerTimeout] = KeepAliveDuration.Format(timeout);
        }

        return values;
    }

    /// <summary>
    /// The profile's values now, as <see cref="Taken"/> and, for a handler that stays, <paramref name="http"/>. Static: the
    /// profiles hold the function through the watcher, and must not hold the connection.
    /// </summary>
    private static Func<IReadOnlyDictionary<string, string>> ValuesNow(IKeepAliveProfiles profiles, string profileName, (TimeSpan? Interval, TimeSpan? Timeout) yours, Func<IReadOnlyDictionary<string, string>>? http) => () =>
    {
        var values = Taken(KeepAliveSignalRSettings.Create(profiles, profileName), yours);
        foreach (var (setting, value) in http?.Invoke() ?? new Dictionary<string, string>())
        {
            values[setting] = value;
        }

        return values;
    };

    /// <summary>The hub connection disposed its services: it keeps no values in force, so 3204 no longer names it.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        Volatile.Read(ref _hold)?.Release();
    }

    public void PostConfigure(string? name, HttpConnectionOptions options)
    {
        var userFactory = options.HttpMessageHandlerFactory;
        options.HttpMessageHandlerFactory = signalRs =>
        {
            JudgeTheValuesInForce();
            return WithKeepAlive(userFactory is null ? signalRs : userFactory(signalRs), signalRs, out _);
        };
        var userWebSocket = options.WebSocketConfiguration;
        options.WebSocketConfiguration = webSocket =>
        {
            userWebSocket?.Invoke(webSocket);
            var section = profiles.GetProfile(ProfileName).WebSocket;
            if (Interlocked.Exchange(ref _webSocketReported, 1) == 0)
            {
                // Said once per connection, not at every reconnection: the WebSocketConfiguration runs for each WebSocket.
                KeepAliveClientWebSocketExtensions.ReportHandSet(webSocket, section, Overridden(keepYoursKey: null), static name => $"ClientWebSocketOptions.{name} (WebSocketConfiguration)");
            }

            KeepAliveClientWebSocketExtensions.ApplyWebSocketSection(webSocket, section); // hand-set values: 3352 above, not 3202
        };
        if (options.WebSocketFactory is null)
        {
            options.WebSocketFactory = new OwnWebSocketFactory(this, userFactory).ConnectAsync;
        }
        else if (OpensWebSockets(options))
        {
            Log.TcpNotApplicable(_logger, ProfileName, TheWebSocket,
                $"a WebSocketFactory of your own opens the WebSocket (Fix: remove the WebSocketFactory, or connect the WebSocket in it with webSocket.ConnectAsync(context.Uri, profiles, \"{ProfileName}\", cancellationToken) from KeepAlive.Net.Hosting, which applies the Tcp section to its socket; this line cannot see inside your factory, so it stays)");
        }
    }

    /// <summary>
    /// The hub connection's <c>KeepAliveInterval</c> and <c>ServerTimeout</c> as it starts (or reconnects), held to the rule
    /// <c>Build()</c> holds them to: SignalR lets code set them on the built <c>HubConnection</c>, past the profile, and tells
    /// nobody, so the last point this package sees them is when SignalR asks it for a handler or a WebSocket (event 3353,
    /// once per pair of values; a pair set after the start is seen at the next connection).
    /// </summary>
    private void JudgeTheValuesInForce()
    {
        if (services.GetService<HubConnection>() is not { } connection)
        {
            return; // a builder of its own that builds no HubConnection of SignalR's
        }

        var http = services.GetService<IOptions<HttpConnectionOptions>>()?.Value;
        if (LongPollingOnly(http))
        {
            return; // neither value runs there
        }

        (TimeSpan Interval, TimeSpan Timeout) inForce = (connection.KeepAliveInterval, connection.ServerTimeout);
        lock (_judging)
        {
            if (_judgedAtStart == inForce)
            {
                return;
            }

            _judgedAtStart = inForce;
        }

        if (settings.ReconnectLoop(serverTimeout: inForce.Timeout, clientTimeoutInterval: null, "HubOptions", hubKeepAliveInterval: null, clientKeepAliveInterval: inForce.Interval, clientSetAfterBuild: true) is { } refused)
        {
            Log.SetAfterBuild(_logger, http?.Url, KeepAliveDuration.Format(inForce.Interval), KeepAliveDuration.Format(inForce.Timeout), refused);
        }
    }

    /// <summary>Whether the connection is limited to long polling, on which SignalR sends no keep-alive messages and runs no ServerTimeout.</summary>
    private static bool LongPollingOnly(HttpConnectionOptions? options) => options?.Transports == HttpTransportType.LongPolling;

    /// <summary>Whether the connection may open a WebSocket: its transports include WebSockets (all of them, by default).</summary>
    private static bool OpensWebSockets(HttpConnectionOptions? options) => options is null || options.Transports.HasFlag(HttpTransportType.WebSockets);

    /// <summary>SignalR's own WebSocket factory, connected through the connection's handler so the socket gets the Tcp section.</summary>
    private async ValueTask<WebSocket> ConnectWebSocketAsync(WebSocketConnectionContext context, Func<HttpMessageHandler, HttpMessageHandler>? userFactory, CancellationToken cancellationToken)
    {
        JudgeTheValuesInForce(); // without negotiation, no handler is asked for before the WebSocket
        var options = context.Options;
        var webSocket = new ClientWebSocket();
        try
        {
            webSocket.Options.SetRequestHeader("User-Agent", SignalRUserAgent);
            webSocket.Options.SetRequestHeader("X-Requested-With", "XMLHttpRequest");
            foreach (var (header, value) in options.Headers)
            {
                webSocket.Options.SetRequestHeader(header, value);
            }

            options.WebSocketConfiguration?.Invoke(webSocket.Options);
            if (options.AccessTokenProvider is { } tokens && await tokens().ConfigureAwait(false) is { Length: > 0 } token)
            {
                webSocket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            }

            var signalRs = SignalRsHandler(options);
            var given = userFactory is null ? signalRs : userFactory(signalRs);
            var yours = !ReferenceEquals(KeepAliveConnectGate.Innermost(given, out _, out _), signalRs);
            var handler = WithKeepAlive(given, signalRs, out var notCarried);
            if ((notCarried ?? OptionsOfItsOwn(webSocket.Options) ?? (yours ? OptionsYourHandlerLacks(options) : null)) is { } reason)
            {
                handler.Dispose();
                if (notCarried is null)
                {
                    Log.TcpNotApplicable(_logger, ProfileName, TheWebSocket, reason); // a handler that does not carry the profile is reported by WithKeepAlive
                }

                WithOptionsOfTheConnection(webSocket.Options, options);
                await webSocket.ConnectAsync(context.Uri, cancellationToken).ConfigureAwait(false);
                return webSocket;
            }

            // As .NET does with the handler it builds for a WebSocket: the upgraded connection outlives the invoker.
            using var invoker = new HttpMessageInvoker(handler, disposeHandler: true);
            await webSocket.ConnectAsync(context.Uri, invoker, cancellationToken).ConfigureAwait(false);
            return webSocket;
        }
        catch
        {
            webSocket.Dispose();
            throw;
        }
    }

    /// <summary>The connection's WebSocketFactory when it has none of its own: recognisable, so what the connection runs with is said right.</summary>
    private sealed class OwnWebSocketFactory(KeepAliveHubConnection connection, Func<HttpMessageHandler, HttpMessageHandler>? userFactory)
    {
        public ValueTask<WebSocket> ConnectAsync(WebSocketConnectionContext context, CancellationToken cancellationToken) =>
            connection.ConnectWebSocketAsync(context, userFactory, cancellationToken);
    }

    private static string UserAgentOfSignalR()
    {
        var assembly = typeof(HttpConnectionOptions).Assembly;
        var version = assembly.GetName().Version;
        var detailed = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var os = OperatingSystem.IsWindows() ? "Windows NT" : OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsLinux() ? "Linux" : "Unknown OS";
        return string.Create(CultureInfo.InvariantCulture,
            $"Microsoft SignalR/{version?.Major}.{version?.Minor} ({(string.IsNullOrEmpty(detailed) ? "Unknown Version" : detailed)}; {os}; .NET; {RuntimeInformation.FrameworkDescription})");
    }

    /// <summary>The handler SignalR creates for a connection, with the options' proxy, cookies, certificates and credentials.</summary>
    private static HttpClientHandler SignalRsHandler(HttpConnectionOptions options)
    {
        var handler = new HttpClientHandler();
        if (options.Proxy is { } proxy)
        {
            handler.Proxy = proxy;
        }

        handler.CookieContainer = options.Cookies;
        if (options.ClientCertificates is { Count: > 0 } certificates)
        {
            handler.ClientCertificates.AddRange(certificates);
        }

        if (options.UseDefaultCredentials is { } useDefault)
        {
            handler.UseDefaultCredentials = useDefault;
        }

        if (options.Credentials is { } credentials)
        {
            handler.Credentials = credentials;
        }

        return handler;
    }

    /// <summary>
    /// The connection's handler, for every transport: a SocketsHttpHandler carries the profile; SignalR's own HttpClientHandler
    /// (returned as it is, or under DelegatingHandlers of the user's) is replaced by one with its settings. A handler that cannot carry it is kept, and said once per connection (event 3351).
    /// </summary>
    private HttpMessageHandler WithKeepAlive(HttpMessageHandler handler, HttpMessageHandler signalRs, out string? notCarried)
    {
        var carrying = Carry(handler, signalRs, out notCarried);
        if (notCarried is not null && Interlocked.Exchange(ref _handlerReported, 1) == 0)
        {
            Log.TcpNotApplicable(_logger, ProfileName, "the connection's sockets (negotiation, Server-Sent Events, long polling and the WebSocket)", notCarried);
        }

        return carrying;
    }

    private HttpMessageHandler Carry(HttpMessageHandler handler, HttpMessageHandler signalRs, out string? notCarried)
    {
        notCarried = null;
        var inner = KeepAliveConnectGate.Innermost(handler, out var over, out var gate);
        if (inner is SocketsHttpHandler sockets)
        {
            if (KeepAliveConnectGate.CarriedProfile(gate, sockets) is { } carried && !string.Equals(carried, ProfileName, StringComparison.OrdinalIgnoreCase))
            {
                // A handler carries one profile, as gRPC's channel refuses: this one would keep the other's Http section, and its Tcp section too.
                throw new InvalidOperationException(
                    $"HubConnectionBuilder.UseKeepAlive(\"{ProfileName}\"): the SocketsHttpHandler the HttpMessageHandlerFactory returns already carries KeepAlive profile '{carried}' (socketsHttpHandler.UseKeepAlive(profiles, \"{carried}\") or an HttpClient factory's UseKeepAlive(\"{carried}\")), and a handler carries one profile: the connection would run with '{carried}' while it says '{ProfileName}'. Fix: name the same profile in both calls, or return a handler without a profile.");
            }

            WithProfile(sockets);
            if (!_handlersSetUp.TryAdd(sockets, ProfileName))
            {
                WarnThatTheHandlerStays(sockets);
            }

            return handler;
        }

        // SignalR's own handler, returned as it is or under DelegatingHandlers of the user's (logging, auth): replaced in place.
        if (ReferenceEquals(inner, signalRs) && inner is HttpClientHandler own)
        {
            if (SetByHand(own) is { } setting)
            {
                notCarried = $"the HttpMessageHandlerFactory set {setting} on SignalR's HttpClientHandler, which the SocketsHttpHandler that would carry the Tcp section cannot take over; return a SocketsHttpHandler with that setting from the HttpMessageHandlerFactory instead (it gets the Tcp section)";
                return handler;
            }

            var replaced = WithProfile(SameSettings(own));
            own.Dispose();
            if (over is null)
            {
                return replaced;
            }

            over.InnerHandler = replaced;
            return handler;
        }

        notCarried = $"the HttpMessageHandlerFactory returns a {handler.GetType().FullName}, not a SocketsHttpHandler (or a DelegatingHandler over one), so no handler can carry the Tcp section";
        return handler;
    }

    /// <summary>
    /// The profile on a handler of the connection, whose own 3204 is left to the connection's (one reload, one warning per
    /// client, naming the connection and its fix): SignalR asks for a handler for each connection it opens, reconnections
    /// included, so the handler's <c>Http</c> values follow reloads at the next one, unless a factory of yours returns the
    /// same handler every time (the connection's 3204 then names them, <see cref="WarnThatTheHandlerStays"/>).
    /// </summary>
    private SocketsHttpHandler WithProfile(SocketsHttpHandler handler)
    {
        handler.UseKeepAlive(profiles, ProfileName, configure: null, judgeThePool: false); // not the pool warning of a handler of yours (3011): it would name a call the hub connection's user did not make, once per connection
        KeepAliveSocketsHttpHandlerExtensions.LeaveReloadWarningToTheClient(handler);
        return handler;
    }

    /// <summary>
    /// Options of the connection that SignalR gives the WebSocket itself, whatever handler its factory returns, and that a
    /// handler of the user's does not carry (SignalR puts them only on its own handler).
    /// </summary>
    private static string? OptionsYourHandlerLacks(HttpConnectionOptions options) =>
        options.Proxy is not null || options.ClientCertificates is { Count: > 0 } || options.Credentials is not null || options.UseDefaultCredentials == true || options.Cookies.Count > 0
            ? "the HttpMessageHandlerFactory returns a handler of its own, and HttpConnectionOptions set a proxy, client certificates, credentials or cookies, which SignalR gives the WebSocket itself and your handler does not carry (set them on the SocketsHttpHandler your factory returns instead, and not on HttpConnectionOptions)"
            : null;

    /// <summary>What SignalR's own WebSocket factory takes from the connection's options, where the WebSocketConfiguration has not set it.</summary>
    private static void WithOptionsOfTheConnection(ClientWebSocketOptions webSocket, HttpConnectionOptions options)
    {
        webSocket.Cookies ??= options.Cookies;
        if (webSocket.ClientCertificates.Count == 0 && options.ClientCertificates is { Count: > 0 } certificates)
        {
            webSocket.ClientCertificates.AddRange(certificates);
        }

        webSocket.Credentials ??= options.Credentials;
        if (options.Proxy is { } proxy && ReferenceEquals(webSocket.Proxy, DefaultWebSocketProxy))
        {
            webSocket.Proxy = proxy;
        }

        if (options.UseDefaultCredentials is true)
        {
            webSocket.UseDefaultCredentials = true;
        }
    }

    /// <summary>Options a WebSocketConfiguration set on the WebSocket itself, which only a handler of the WebSocket's own can carry.</summary>
    private static string? OptionsOfItsOwn(ClientWebSocketOptions webSocket) =>
        webSocket.RemoteCertificateValidationCallback is not null || webSocket.Credentials is not null || webSocket.UseDefaultCredentials
        || webSocket.Cookies is not null || webSocket.ClientCertificates.Count > 0 || !ReferenceEquals(webSocket.Proxy, DefaultWebSocketProxy)
            ? "the WebSocketConfiguration sets a certificate callback, credentials, cookies, certificates or a proxy on the WebSocket itself (set them on HttpConnectionOptions, or on a SocketsHttpHandler from HttpMessageHandlerFactory, instead)"
            : null;

    /// <summary>A setting of SignalR's own handler that SignalR does not set and <see cref="SameSettings"/> does not carry, changed by the user's HttpMessageHandlerFactory.</summary>
    private static string? SetByHand(HttpClientHandler own) =>
        own.ServerCertificateCustomValidationCallback is not null ? nameof(own.ServerCertificateCustomValidationCallback)
        : own.SslProtocols != System.Security.Authentication.SslProtocols.None ? nameof(own.SslProtocols)
        : own.CheckCertificateRevocationList ? nameof(own.CheckCertificateRevocationList)
        : own.ClientCertificateOptions != ClientCertificateOption.Manual ? nameof(own.ClientCertificateOptions)
        : own.AutomaticDecompression != DecompressionMethods.None ? nameof(own.AutomaticDecompression)
        : own.MaxConnectionsPerServer != int.MaxValue ? nameof(own.MaxConnectionsPerServer)
        : !own.AllowAutoRedirect ? nameof(own.AllowAutoRedirect)
        : own.DefaultProxyCredentials is not null ? nameof(own.DefaultProxyCredentials)
        : null;

    private static SocketsHttpHandler SameSettings(HttpClientHandler own)
    {
        // What SignalR sets on the HttpClientHandler it creates: proxy, cookies, client certificates, credentials; and the
        // limits a handler factory may set on it, which a SocketsHttpHandler takes as they are.
        var sockets = new SocketsHttpHandler
        {
            UseCookies = own.UseCookies,
            CookieContainer = own.CookieContainer,
            Credentials = own.UseDefaultCredentials ? CredentialCache.DefaultCredentials : own.Credentials,
            PreAuthenticate = own.PreAuthenticate,
            UseProxy = own.UseProxy,
            Proxy = own.Proxy,
            MaxResponseHeadersLength = own.MaxResponseHeadersLength,
            MaxAutomaticRedirections = own.MaxAutomaticRedirections,
        };
        if (own.ClientCertificates.Count > 0)
        {
            sockets.SslOptions.ClientCertificates = [.. own.ClientCertificates];
        }

        return sockets;
    }

    private static IWebProxy? DefaultProxyOfNewOptions()
    {
        using var probe = new ClientWebSocket();
        return probe.Options.Proxy;
    }

    /// <summary>
    /// Warns (event 3352) when <paramref name="option"/> was set by hand (it differs from the client's default) to another
    /// value than the one the profile gives it from <paramref name="profileKey"/>; the fix names the profile key that gives
    /// the connection the hand-set value back (<paramref name="keepYoursKey"/>, which takes precedence for it). The rule is
    /// the clients' own (<see cref="KeepAliveHandlerSettings.ReportIfHandSet"/>).
    /// </summary>
    private void ReportIfHandSet(string option, TimeSpan current, TimeSpan clientDefault, TimeSpan fromProfile, string? profileKey, string keepYoursKey) =>
        KeepAliveHandlerSettings.ReportIfHandSet(Overridden(keepYoursKey), option, profileKey ?? keepYoursKey, current, clientDefault, fromProfile);

    /// <summary>Event 3352 for a value the profile replaced; its fix names <paramref name="keepYoursKey"/>, else the key that replaced it.</summary>
    private KeepAliveHandlerSettings.HandSetReplaced Overridden(string? keepYoursKey) =>
        (setting, handSet, profileKey, profileValue) => Log.OptionOverridden(_logger, setting, handSet, ProfileName, profileValue, profileKey, keepYoursKey ?? profileKey);
}

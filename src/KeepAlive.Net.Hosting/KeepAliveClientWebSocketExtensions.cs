using System.Net.Http;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting;

/// <summary>Applies a keep-alive profile to a <see cref="ClientWebSocket"/>: its <c>WebSocket</c> section, and its <c>Tcp</c> section on the socket.</summary>
public static class KeepAliveClientWebSocketExtensions
{
    /// <summary>
    /// Sets <see cref="ClientWebSocketOptions.KeepAliveInterval"/> and <see cref="ClientWebSocketOptions.KeepAliveTimeout"/>
    /// from a profile's <c>WebSocket</c> section (values the profile leaves unset keep the client's own; one set by hand, unlike
    /// the client's default, that the profile replaces is logged as a warning, <see cref="KeepAliveEventIds.ClientOptionOverridden"/>).
    /// With a timeout, the client sends PINGs and aborts the WebSocket when a PONG does not arrive within the timeout.
    /// </summary>
    /// <param name="options">The options of a <see cref="ClientWebSocket"/> that has not connected yet.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered, or the WebSocket has already connected.</exception>
    /// <remarks>
    /// The options are fixed once the WebSocket connects: an accepted reload that changes one of the values set here logs a
    /// warning (<see cref="KeepAliveEventIds.ClientReloadNotApplied"/>) naming each value that stays and the fix, for as long
    /// as the options (their WebSocket) live.
    /// </remarks>
    [UnsupportedOSPlatform("browser")]
    public static ClientWebSocketOptions UseKeepAlive(this ClientWebSocketOptions options, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profiles);
        var webSocket = profiles.GetProfile(profileName).WebSocket;
        var replaced = KeepAliveHandlerSettings.Warn(profiles, $"clientWebSocketOptions.UseKeepAlive(profiles, \"{profileName}\")", profileName, options: null);
        ReportHandSet(options, webSocket, replaced, Option);
        ClientReloadWatch.Warn(profiles, profileName, nameof(ClientWebSocket),
            $"a ClientWebSocket's options cannot change once it has connected: connect a new ClientWebSocket with clientWebSocket.ConnectAsync(uri, profiles, \"{profileName}\", cancellationToken) (or clientWebSocket.Options.UseKeepAlive(profiles, \"{profileName}\") before its ConnectAsync), which takes the reloaded values",
            KeepAliveProfiles.LoggerOf(profiles), options, Values(webSocket), ValuesNow(profiles, profileName));
        return ApplyWebSocketSection(options, webSocket);
    }

    /// <summary>What <see cref="ApplyWebSocketSection"/> sets, by option, as the profile states it; a value the profile leaves unset is absent.</summary>
    private static Dictionary<string, string> Values(WebSocketKeepAliveOptions webSocket)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (webSocket.KeepAliveInterval is { } interval)
        {
            values[Option(nameof(ClientWebSocketOptions.KeepAliveInterval))] = KeepAliveDuration.Format(interval);
        }

        if (webSocket.KeepAliveTimeout is { } timeout)
        {
            values[Option(nameof(ClientWebSocketOptions.KeepAliveTimeout))] = KeepAliveDuration.Format(timeout);
        }

        return values;
    }

    /// <summary>An option as the warnings name it, <c>ClientWebSocketOptions.KeepAliveInterval</c>.</summary>
    private static string Option(string name) => $"{nameof(ClientWebSocketOptions)}.{name}";

    // Made here, the function holds the profiles and the name only, not the options (which the watcher holds weakly).
    private static Func<IReadOnlyDictionary<string, string>> ValuesNow(IKeepAliveProfiles profiles, string profileName) =>
        () => Values(profiles.GetProfile(profileName).WebSocket);

    /// <summary>
    /// Tells <paramref name="replaced"/> of each keep-alive value of <paramref name="options"/> set by hand (unlike
    /// <see cref="ClientWebSocketOptions"/>' defaults) that the profile's <c>WebSocket</c> section replaces;
    /// <paramref name="setting"/> names an option (<c>KeepAliveInterval</c>) as the report says it.
    /// </summary>
    internal static void ReportHandSet(ClientWebSocketOptions options, WebSocketKeepAliveOptions webSocket, KeepAliveHandlerSettings.HandSetReplaced replaced, Func<string, string> setting)
    {
        void Report(string name, TimeSpan current, TimeSpan byDefault, TimeSpan? fromProfile) =>
            KeepAliveHandlerSettings.ReportIfHandSet(replaced, setting(name), $"WebSocket:{name}", current, byDefault, fromProfile);

        Report(nameof(ClientWebSocketOptions.KeepAliveInterval), options.KeepAliveInterval, WebSocket.DefaultKeepAliveInterval, webSocket.KeepAliveInterval);
        Report(nameof(ClientWebSocketOptions.KeepAliveTimeout), options.KeepAliveTimeout, Timeout.InfiniteTimeSpan, webSocket.KeepAliveTimeout);
    }

    /// <summary>
    /// Sets the profile's <c>WebSocket</c> values on <paramref name="options"/> without reporting hand-set ones: for a caller
    /// that reports them itself (a SignalR hub connection, event 3352, once per connection rather than at every connect).
    /// </summary>
    internal static ClientWebSocketOptions ApplyWebSocketSection(ClientWebSocketOptions options, WebSocketKeepAliveOptions webSocket)
    {
        if (webSocket.KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (webSocket.KeepAliveTimeout is { } timeout)
        {
            options.KeepAliveTimeout = timeout;
        }

        return options;
    }

    /// <summary>
    /// Connects the WebSocket with every layer of a profile it can carry: the <c>WebSocket</c> section (as
    /// <see cref="UseKeepAlive(ClientWebSocketOptions, IKeepAliveProfiles, string)"/>) and the <c>Tcp</c> section on its socket,
    /// by connecting through an invoker whose <see cref="SocketsHttpHandler"/> applies it (the handler .NET would build,
    /// carrying the options' cookies, credentials, proxy and certificates). The WebSocket's PINGs and their timeout run on
    /// the thread pool, so a starved pool can miss them; the kernel's probes keep the idle flow alive regardless.
    /// </summary>
    /// <param name="webSocket">A WebSocket that has not connected yet.</param>
    /// <param name="uri">The server, <c>ws://</c> or <c>wss://</c>.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>A task that completes when the WebSocket is open.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid.</exception>
    [UnsupportedOSPlatform("browser")]
    public static async Task ConnectAsync(this ClientWebSocket webSocket, Uri uri, IKeepAliveProfiles profiles, string profileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webSocket);
        webSocket.Options.UseKeepAlive(profiles, profileName);
        using var invoker = new HttpMessageInvoker(KeepAliveWebSocketHandler.Create(webSocket.Options, profiles, profileName));
        await webSocket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
    }
}

using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting;

/// <summary>Applies a keep-alive profile to a <see cref="SocketsHttpHandler"/> you create yourself (a gRPC channel's, a WebSocket's, SignalR's).</summary>
public static class KeepAliveSocketsHttpHandlerExtensions
{
    /// <summary>What keeps each handler's warning 3204 for as long as the handler lives, and the values it took: released where a client built over it says 3204 itself.</summary>
    private static readonly ConditionalWeakTable<SocketsHttpHandler, HandlerValues> ReloadWarnings = [];

    /// <summary>
    /// Applies every layer of a profile a client handler can carry: its <c>Tcp</c> section to each new connection's socket
    /// (through the handler's ConnectCallback, chaining a callback you set before, with the profile's values at the time of
    /// connecting), and from its <c>Http</c> section the pooled connection timers, connect timeout, HTTP/2 pings and the
    /// server's ping policy, as <c>httpClientBuilder.UseKeepAlive</c> does. Values the profile leaves unset keep the handler's own;
    /// one set by hand that the profile replaces is logged as a warning (<see cref="KeepAliveEventIds.ClientOptionOverridden"/>).
    /// </summary>
    /// <param name="handler">A handler that has not sent a request yet.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The handler, for chaining.</returns>
    /// <remarks>
    /// The <c>Http</c> values are fixed once the handler has sent a request: an accepted reload that changes one of them logs a
    /// warning (<see cref="KeepAliveEventIds.ClientReloadNotApplied"/>) naming each value that stays and the fix, for as long
    /// as the handler lives. The <c>Tcp</c> section is read at each connect, and follows reloads. With a
    /// <c>Heartbeat:PeerIdleTimeout</c>, the values the handler runs with once the profile is applied (yours where it sets
    /// none) are judged at once: when nothing keeps an idle pooled connection (the <c>Tcp</c> section off, no HTTP/2 PING
    /// without calls within it, a pool idle timeout not below it), a warning says so with the values and the fix
    /// (<see cref="KeepAliveEventIds.IdlePooledConnectionUnkept"/>); and again after each accepted reload, with the reloaded
    /// profile (its <c>Tcp</c> section reaches the handler) and the handler's values: once per reload that leaves them unkept.
    /// </remarks>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid.</exception>
    /// <exception cref="InvalidOperationException">The handler has already sent a request, or already carries another profile, or its own <c>KeepAlivePingDelay</c>, which the profile leaves in place, is below the profile's <c>Http:PeerMinPingInterval</c>.</exception>
    [UnsupportedOSPlatform("browser")]
    public static SocketsHttpHandler UseKeepAlive(this SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName) =>
        handler.UseKeepAlive(profiles, profileName, configure: null);

    /// <summary>Applies every layer of a profile a client handler can carry, as <see cref="UseKeepAlive(SocketsHttpHandler, IKeepAliveProfiles, string)"/>, with per-connection options.</summary>
    /// <param name="handler">A handler that has not sent a request yet.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="configure">Sets the connection callback (and a <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/> that overrides the profile's), or <see langword="null"/>.</param>
    /// <returns>The handler, for chaining.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid.</exception>
    /// <exception cref="InvalidOperationException">The handler has already sent a request or carries another profile, <paramref name="configure"/> set a negative <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/>, or the handler's own <c>KeepAlivePingDelay</c>, which the profile leaves in place, is below its <c>Http:PeerMinPingInterval</c>.</exception>
    /// <remarks>On a handler that already carries this profile this changes nothing; one that carries another is refused (a handler carries one profile). A reload the handler does not take is said as for <see cref="UseKeepAlive(SocketsHttpHandler, IKeepAliveProfiles, string)"/>.</remarks>
    [UnsupportedOSPlatform("browser")]
    public static SocketsHttpHandler UseKeepAlive(this SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, Action<KeepAliveHttpClientOptions>? configure) =>
        handler.UseKeepAlive(profiles, profileName, configure, judgeThePool: true);

    /// <summary>As <see cref="UseKeepAlive(SocketsHttpHandler, IKeepAliveProfiles, string, Action{KeepAliveHttpClientOptions})"/>, for a client built over the handler.</summary>
    /// <param name="handler">A handler that has not sent a request yet.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="configure">As the public overload's.</param>
    /// <param name="judgeThePool">
    /// Whether the handler's idle pooled connections are judged against <c>Heartbeat:PeerIdleTimeout</c> here (warning
    /// <see cref="KeepAliveEventIds.IdlePooledConnectionUnkept"/>): not for a client that says it itself (a gRPC channel, 3300),
    /// nor for a SignalR hub connection's handler (the warning would name a call its user did not make, once per connection).
    /// </param>
    /// <returns>The handler, for chaining.</returns>
    [UnsupportedOSPlatform("browser")]
    internal static SocketsHttpHandler UseKeepAlive(this SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, Action<KeepAliveHttpClientOptions>? configure, bool judgeThePool)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        if (KeepAliveConnectCallback.ProfileOf(handler.ConnectCallback) is { } carried)
        {
            // Applied already (a factory that returns the same handler for every connection): a started handler cannot change.
            // Another profile would be named here while the handler goes on with the first's Tcp section and Http values.
            return string.Equals(carried, profileName, StringComparison.OrdinalIgnoreCase) ? handler : throw new InvalidOperationException(
                $"socketsHttpHandler.UseKeepAlive(profiles, \"{profileName}\"): the handler already carries KeepAlive profile '{carried}' (an earlier socketsHttpHandler.UseKeepAlive(profiles, \"{carried}\"), or GrpcChannelOptions.UseKeepAlive(profiles, \"{carried}\") for a channel over it), and a handler carries one profile: every client over it, this one included, would go on with '{carried}''s Tcp section and Http values. Fix: name the same profile in both calls, or give this client a SocketsHttpHandler of its own.");
        }

        var options = new KeepAliveHttpClientOptions();
        configure?.Invoke(options);
        var owner = $"socketsHttpHandler.UseKeepAlive(profiles, \"{profileName}\")";
        var profile = KeepAliveProfiles.GetProfileFor(profiles, profileName, owner); // a name not registered is refused naming this call
        var http = profile.Http;
        KeepAliveHandlerSettings.Apply(handler, http, owner, KeepAliveHandlerSettings.Warn(profiles, owner, profileName, options));
        options.ApplyTo(handler, owner);
        if (judgeThePool)
        {
            JudgeThePool(handler, profiles, profileName, profile, owner);
        }

        KeepAliveConnectCallback.Install(handler, profiles, profileName, options, KeepAliveProfiles.LoggerOf(profiles));
        WarnWhenReloadsAreNotTaken(handler, profiles, profileName, http, withoutLifetime: options.PooledConnectionLifetime is not null);
        return handler;
    }

    /// <summary>
    /// Stops the warning (3204) that <paramref name="handler"/> keeps the <c>Http</c> values it took, where a client built
    /// over it (a gRPC channel, a SignalR hub connection) says 3204 itself, naming itself and its own fix: one reload, one
    /// warning per client. A handler that UseKeepAlive did not set up is left as it is.
    /// </summary>
    /// <param name="handler">The client's handler.</param>
    internal static void LeaveReloadWarningToTheClient(SocketsHttpHandler handler)
    {
        if (ReloadWarnings.TryGetValue(handler, out var values))
        {
            values.Hold.Release();
        }
    }

    /// <summary>
    /// The <c>Http</c> values <paramref name="handler"/> took, by handler setting, and the profile's now (read at each call):
    /// for the 3204 of a client that keeps the handler (<see cref="LeaveReloadWarningToTheClient"/>), once it finds out that it does.
    /// </summary>
    /// <param name="handler">The client's handler.</param>
    /// <returns>The values, or <see langword="null"/> for a handler UseKeepAlive did not set up.</returns>
    internal static (IReadOnlyDictionary<string, string> Taken, Func<IReadOnlyDictionary<string, string>> Now)? HttpValuesTaken(SocketsHttpHandler handler) =>
        ReloadWarnings.TryGetValue(handler, out var values) ? (values.Taken, values.Now) : null;

    // No client factory's check judges a handler of yours: its values in force, now that the profile is applied (3011), and
    // again after each accepted reload, whose Tcp section reaches the handler (read at each connect) while its Http values
    // stay: said once per reload that leaves an idle pooled connection unkept, not again while it stays so. Handlers with the
    // same values share one watcher (held by each, weakly; the watcher holds none): one reload, one warning.
    private static void JudgeThePool(SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, KeepAliveProfileOptions profile, string owner)
    {
        var logger = KeepAliveProfiles.LoggerOf(profiles);
        var values = HttpProfileRules.PoolValues(handler);
        if (HttpProfileRules.IdlePooledConnectionUnkept(profile, profileName, values, started: false) is { } unkept)
        {
            Log.IdlePooledConnectionUnkept(logger, owner, unkept);
        }

        if (profiles is not KeepAliveProfiles registered)
        {
            return;
        }

        var said = HttpProfileRules.IdlePooledConnectionUnkept(profile, profileName, values, started: true);
        registered.WatchAcceptedReloads(profileName, $"{KeepAliveEventIds.IdlePooledConnectionUnkept}\n{values}", handler, () =>
        {
            var now = HttpProfileRules.IdlePooledConnectionUnkept(registered.GetProfile(profileName), profileName, values, started: true);
            var before = Interlocked.Exchange(ref said, now);
            if (now is not null && !string.Equals(before, now, StringComparison.Ordinal))
            {
                Log.IdlePooledConnectionUnkept(logger, $"{owner}, after {ClientReloadWatch.JustAccepted}", now);
            }
        });
    }

    // A started handler cannot change: the Http section stays as taken here, and a reload that changes it is said, while the
    // handler lives (held through the table, whose entry goes with the handler; the watcher holds neither strongly).
    private static void WarnWhenReloadsAreNotTaken(SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, HttpKeepAliveOptions http, bool withoutLifetime)
    {
        var values = new HandlerValues(new ClientHold(), KeepAliveHandlerSettings.Values(http, withoutLifetime), KeepAliveHandlerSettings.ValuesNow(profiles, profileName, withoutLifetime));
        ReloadWarnings.AddOrUpdate(handler, values);
        ClientReloadWatch.Warn(profiles, profileName, nameof(SocketsHttpHandler),
            $"a SocketsHttpHandler cannot change once it has sent a request: create a new SocketsHttpHandler and call socketsHttpHandler.UseKeepAlive(profiles, \"{profileName}\") on it (its sockets already follow reloads of the Tcp section), or let services.AddHttpClient(...).UseKeepAlive(\"{profileName}\") build the handler, which the factory builds again with the reloaded values",
            KeepAliveProfiles.LoggerOf(profiles), values.Hold, values.Taken, values.Now);
    }

    /// <summary>A handler's 3204: what keeps it, the values the handler took and the profile's now.</summary>
    private sealed record HandlerValues(ClientHold Hold, IReadOnlyDictionary<string, string> Taken, Func<IReadOnlyDictionary<string, string>> Now);
}

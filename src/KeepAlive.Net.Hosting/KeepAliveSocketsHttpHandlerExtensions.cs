using System.Net.Http;
using System.Runtime.Versioning;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting;

/// <summary>Applies a keep-alive profile to a <see cref="SocketsHttpHandler"/> you create yourself (a gRPC channel's, a WebSocket's, SignalR's).</summary>
public static class KeepAliveSocketsHttpHandlerExtensions
{
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
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid.</exception>
    /// <exception cref="InvalidOperationException">The handler has already sent a request, or its own <c>KeepAlivePingDelay</c>, which the profile leaves in place, is below the profile's <c>Http:PeerMinPingInterval</c>.</exception>
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
    /// <exception cref="InvalidOperationException">The handler has already sent a request, <paramref name="configure"/> set a negative <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/>, or the handler's own <c>KeepAlivePingDelay</c>, which the profile leaves in place, is below its <c>Http:PeerMinPingInterval</c>.</exception>
    /// <remarks>On a handler that already carries a profile this changes nothing.</remarks>
    [UnsupportedOSPlatform("browser")]
    public static SocketsHttpHandler UseKeepAlive(this SocketsHttpHandler handler, IKeepAliveProfiles profiles, string profileName, Action<KeepAliveHttpClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        if (KeepAliveConnectCallback.IsOurs(handler.ConnectCallback))
        {
            return handler; // applied already (a factory that returns the same handler for every connection): a started handler cannot change
        }

        var options = new KeepAliveHttpClientOptions();
        configure?.Invoke(options);
        var owner = $"socketsHttpHandler.UseKeepAlive(profiles, \"{profileName}\")";
        KeepAliveHandlerSettings.Apply(handler, profiles.GetProfile(profileName).Http, owner, KeepAliveHandlerSettings.Warn(profiles, owner, profileName, options));
        options.ApplyTo(handler, owner);
        KeepAliveConnectCallback.Install(handler, profiles, profileName, options, KeepAliveProfiles.LoggerOf(profiles));
        return handler;
    }
}

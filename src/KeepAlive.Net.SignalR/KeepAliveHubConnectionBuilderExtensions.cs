using System.Runtime.Versioning;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.SignalR;

/// <summary>Applies a keep-alive profile to a SignalR hub connection.</summary>
public static class KeepAliveHubConnectionBuilderExtensions
{
    /// <summary>
    /// Applies a profile to the hub connection this builder builds: SignalR's keep-alive interval and server timeout by the
    /// fixed mapping (<c>SignalR:KeepAliveInterval</c>, else <c>Heartbeat:Interval</c>; <c>SignalR:ServerTimeout</c>, else
    /// <c>Heartbeat:Timeout</c>; unset keeps SignalR's 15 s and 30 s), the <c>WebSocket</c> section on the WebSocket
    /// transport, and the <c>Tcp</c> section on the sockets of every transport (the WebSocket's included) through the
    /// connection's <see cref="System.Net.Http.SocketsHttpHandler"/>.
    /// </summary>
    /// <param name="builder">The builder, with <c>WithUrl(...)</c> called before or after.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">
    /// The profile is invalid, or its server timeout would be below twice its keep-alive interval (a reconnect loop), or its
    /// interval over the middlebox's budget; the message names the configuration path, the values and the fix. Thrown at this
    /// call, or by <c>Build()</c> when a reload since the call made it so.
    /// </exception>
    /// <remarks>
    /// <para>
    /// The profile's values win over <c>WithKeepAliveInterval</c> and <c>WithServerTimeout</c>, and its <c>WebSocket</c> section
    /// over the <c>KeepAliveInterval</c> and <c>KeepAliveTimeout</c> a <c>WebSocketConfiguration</c> of yours sets; a different
    /// value set by hand is reported (event 3352; the WebSocket's once per connection). The profile is checked at this call and read again when the
    /// connection is built, which takes its values then (a reload in between included). What the connection runs with is logged once, when it is built (event 3350); a <c>KeepAliveInterval</c> or <c>ServerTimeout</c> set on the built connection
    /// that <c>Build()</c> would have refused is said when it starts or reconnects (event 3353).
    /// </para>
    /// <para>
    /// SignalR connects a WebSocket with a handler of its own that no option reaches, so the profile gives the connection a
    /// <c>WebSocketFactory</c> that does what SignalR's does (its headers, access token and <c>WebSocketConfiguration</c>) and
    /// connects through an invoker over the connection's handler: a <see cref="System.Net.Http.SocketsHttpHandler"/> from your
    /// <c>HttpMessageHandlerFactory</c>, or one with the settings SignalR would give its own (proxy, cookies, certificates,
    /// credentials, the response-header and redirection limits; also under <c>DelegatingHandler</c>s of yours that wrap SignalR's own), carrying the <c>Tcp</c> section. Where it cannot (a WebSocketFactory of your own, a handler factory that
    /// returns something else or changes a setting of SignalR's own handler such as its certificate callback, options set on
    /// the WebSocket itself that only its own handler can carry, a handler of yours while the connection's options set a
    /// proxy, client certificates, credentials or cookies, which SignalR gives the WebSocket itself), your handler is kept, the WebSocket connects as SignalR
    /// would and the reason is logged (event 3351; a handler that cannot carry the profile leaves every transport's sockets
    /// without the <c>Tcp</c> section, long polling and Server-Sent Events included, and is reported once per connection).
    /// </para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The connection already takes another profile (the same one again is applied once). When the connection starts: its <c>HttpMessageHandlerFactory</c> returns a handler that carries another profile.</exception>
    [UnsupportedOSPlatform("browser")]
    public static IHubConnectionBuilder UseKeepAlive(this IHubConnectionBuilder builder, IKeepAliveProfiles profiles, string profileName) =>
        Apply(builder, profiles, profileName, hostLoggers: null);

    /// <summary>Applies a keep-alive profile to the hub connection, as <see cref="UseKeepAlive(IHubConnectionBuilder, IKeepAliveProfiles, string)"/>, with the profiles of a service provider.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="services">A service provider with <c>services.AddKeepAlive(...)</c>, usually the host's.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The connection's KeepAlive messages (events 3350-3353) go to that provider's logging, with the host's other KeepAlive messages.</remarks>
    [UnsupportedOSPlatform("browser")]
    public static IHubConnectionBuilder UseKeepAlive(this IHubConnectionBuilder builder, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(profileName);
        return Apply(builder, RegisteredProfiles.From(services, "HubConnectionBuilder.UseKeepAlive", profileName), profileName, services.GetService<ILoggerFactory>());
    }

    // Both overloads: the hub builder's own logging unless the host's was given.
    private static IHubConnectionBuilder Apply(IHubConnectionBuilder builder, IKeepAliveProfiles profiles, string profileName, ILoggerFactory? hostLoggers)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        var call = $"HubConnectionBuilder.UseKeepAlive(\"{profileName}\")"; // as messages name it
        if (builder.Services.FirstOrDefault(static d => d.ServiceType == typeof(AppliedProfile))?.ImplementationInstance is AppliedProfile applied)
        {
            // The same profile again is applied once (its factories would wrap ours and warn that ours is the user's).
            return string.Equals(applied.Name, profileName, StringComparison.OrdinalIgnoreCase) ? builder : throw new InvalidOperationException(
                $"{call}: this connection already takes KeepAlive profile '{applied.Name}', and one profile sets its keep-alive interval, server timeout and socket (the last call would silently mix them). Fix: call UseKeepAlive once per hub connection, with one profile.");
        }

        _ = KeepAliveSignalRSettings.Create(profiles, profileName, call); // refused here, at the call, with the path, the value and the fix
        builder.Services.AddSingleton(new AppliedProfile(profileName));
        // One object for both options: what the hub connection takes when it is built and what its handlers keep, in one 3204.
        // The profile is read again when the connection is built: a reload since this call (a builder set up at start-up and
        // built later) is what the connection takes, not values no warning would name.
        builder.Services.AddSingleton(services => Connection(services, profiles, KeepAliveSignalRSettings.Create(profiles, profileName, call), hostLoggers));
        builder.Services.AddSingleton<IPostConfigureOptions<HubConnectionOptions>>(static services => services.GetRequiredService<KeepAliveHubConnection>());
        builder.Services.AddSingleton<IPostConfigureOptions<HttpConnectionOptions>>(static services => services.GetRequiredService<KeepAliveHubConnection>());
        return builder;
    }

    /// <summary>The profile this hub connection takes: one per builder.</summary>
    private sealed record AppliedProfile(string Name);

    [UnsupportedOSPlatform("browser")]
    private static KeepAliveHubConnection Connection(IServiceProvider services, IKeepAliveProfiles profiles, KeepAliveSignalRSettings settings, ILoggerFactory? hostLoggers) =>
        new(profiles, settings, hostLoggers ?? services.GetService<ILoggerFactory>(), services);
}

using System.Net.Http;
using System.Runtime.Versioning;
using Grpc.Net.Client;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Grpc;

/// <summary>Applies a keep-alive profile to a gRPC channel (<see cref="GrpcChannel"/>).</summary>
public static class KeepAliveGrpcChannelOptionsExtensions
{
    private const string ReloadFix = "create the GrpcChannel again from GrpcChannelOptions.UseKeepAlive (its sockets already follow reloads; the handler's pings, pool timers and connect timeout are fixed when UseKeepAlive runs)";

    /// <summary>
    /// Gives the channel a <see cref="SocketsHttpHandler"/> carrying a profile (the channel's own, when
    /// <see cref="GrpcChannelOptions.HttpHandler"/> already is or wraps one): its <c>Tcp</c> section on every connection's
    /// socket, and from its <c>Http</c> section the HTTP/2 pings (within the server's ping policy,
    /// <c>Http:PeerMinPingInterval</c> and <c>Http:PeerPermitsPingsWithoutCalls</c>), the pooled connection timers and the
    /// connect timeout.
    /// </summary>
    /// <param name="options">
    /// The channel's options, before <c>GrpcChannel.ForAddress</c>. When they carry no handler of yours, the handler created
    /// here is the channel's and is disposed with it; each further channel built from these options gets one of its own,
    /// set up from the profile in the same way, unless that handler was wrapped or given to an HttpClient after this call:
    /// then the channels share it, disposed with the first, and the further channel's build says so (event 3304). Build
    /// channels from these options one after the other: gRPC reads them while it builds a channel, and channels built at the
    /// same moment on several threads can share one handler; give those options of their own.
    /// </param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">
    /// The profile is invalid, for example a ping delay below the server's minimum (refused here, before the channel ever pings).
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The options carry an <see cref="GrpcChannelOptions.HttpClient"/>, or a handler that is not a <see cref="SocketsHttpHandler"/>:
    /// neither can carry the profile. Or the handler already carries another profile (the client factory's
    /// <c>UseKeepAlive</c>, or <c>SocketsHttpHandler.UseKeepAlive</c>); the same profile again is accepted. Or the handler's own <c>KeepAlivePingDelay</c>, which a profile without
    /// <c>Http:KeepAlivePingDelay</c> leaves in place, is below the profile's <c>Http:PeerMinPingInterval</c>.
    /// </exception>
    /// <remarks>
    /// <para>
    /// The <c>Tcp</c> section needs the handler's ConnectCallback, which gRPC refuses on channels that balance on the client
    /// side: a <c>dns:///</c> (or any resolver) address, or a <see cref="GrpcChannelOptions.ServiceConfig"/> with a
    /// load-balancing config. For those the callback is taken off again while the channel is built (the channel asks its
    /// <see cref="GrpcChannelOptions.ServiceProvider"/>, which this call wraps, for the resolvers of a non-http address before it
    /// inspects the handler), so gRPC's load balancer opens the sockets itself: the <c>Tcp</c> section is reported as not
    /// applicable (event 3300), the <c>Http</c> section applies, and no call fails because of the profile; with a
    /// <c>Heartbeat:PeerIdleTimeout</c>, event 3300 also says what then keeps an idle connection (the HTTP/2 PINGs without
    /// calls, or the pool dropping it before the peer's timeout), or that nothing does, with the fix. Call this after
    /// setting <see cref="GrpcChannelOptions.ServiceProvider"/>: one set afterwards replaces the wrapper, which then sees no
    /// channel being built. A channel on a resolver address or with a load-balancing config then fails to build (gRPC's
    /// <see cref="InvalidOperationException"/> asking for a handler with no ConnectCallback), which this package cannot see;
    /// one on an <c>http</c> or <c>https</c> address says so at its first connection (event 3303, with the fix).
    /// </para>
    /// <para>
    /// On an <c>http</c> or <c>https</c> address the <c>Tcp</c> section applies, and gRPC's connectivity tracking
    /// (<c>GrpcChannel.State</c>, <c>WaitForStateChangedAsync</c>) is off on that channel, because gRPC tracks only
    /// connections it opens itself; this is logged once per handler, at its first connection (event 3301): channels sharing one
    /// handler share its connections, and the handler keeps none of them alive. With a <c>Heartbeat:PeerIdleTimeout</c>, when
    /// nothing keeps the handler's idle pooled connection (the <c>Tcp</c> section off, no HTTP/2 PING without calls within it, a
    /// pool idle timeout not below it), the channel says so once when it is built (event 3011), with the values and the fix.
    /// </para>
    /// <para>
    /// An <see cref="GrpcChannelOptions.HttpHandler"/> set on the options after this call replaces the handler that carries the
    /// profile, unless it wraps it (a <see cref="DelegatingHandler"/> over it): the channel says so when it is built (event 3302,
    /// with the fix). An <see cref="GrpcChannelOptions.HttpClient"/> set after this call keeps its handler private: the channel
    /// cannot tell whether it sends through the handler that carries the profile, and says so (event 3302, with the fix: that
    /// handler, or a <see cref="DelegatingHandler"/> over it, as <see cref="GrpcChannelOptions.HttpHandler"/> instead).
    /// </para>
    /// <para>
    /// Events 3300, 3301, 3302 and the channel's 3011 go to <see cref="GrpcChannelOptions.LoggerFactory"/> (or its <see cref="GrpcChannelOptions.ServiceProvider"/>'s
    /// logging), else to the logging the profiles were registered with.
    /// </para>
    /// </remarks>
    [UnsupportedOSPlatform("browser")]
    public static GrpcChannelOptions UseKeepAlive(this GrpcChannelOptions options, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        _ = KeepAliveProfiles.GetProfileFor(profiles, profileName, CallOf(profileName)); // unknown or invalid: refused now, before the channel exists
        if (options.HttpClient is not null)
        {
            throw new InvalidOperationException(
                $"{CallOf(profileName)}: the options carry an HttpClient, whose handler cannot be reached to carry the profile. Fix: {HttpClientFix(profileName)}.");
        }

        KeepAliveGrpcChannel.ReturnDisposal(options);
        if (options.HttpHandler is null)
        {
            _ = WithAHandlerOfItsOwn(options, profiles, profileName, options.ServiceProvider, disposedBefore: options.DisposeHttpClient);
            return options;
        }

        var handler = KeepAliveConnectGate.Innermost(options.HttpHandler, out _, out var gate) as SocketsHttpHandler ?? throw new InvalidOperationException(
            $"{CallOf(profileName)}: the channel's HttpHandler is a {options.HttpHandler.GetType().FullName}, which cannot carry TCP keep-alive (only SocketsHttpHandler has a ConnectCallback that reaches the socket). Fix: use a SocketsHttpHandler with the same settings (every HttpClientHandler setting has an equivalent), or remove UseKeepAlive from this channel.");
        if (KeepAliveConnectGate.CarriedProfile(gate, handler) is { } carried && !string.Equals(carried, profileName, StringComparison.OrdinalIgnoreCase))
        {
            // One profile per handler, as one per client of the factory: a second one would lay its Http section over the
            // first's and take the Tcp section for itself.
            throw new InvalidOperationException(
                $"{CallOf(profileName)}: the channel's handler already carries KeepAlive profile '{carried}' (services.AddGrpcClient<T>().UseKeepAlive(\"{carried}\") or socketsHttpHandler.UseKeepAlive(profiles, \"{carried}\")), and a handler carries one profile: two would mix their Http sections. Fix: name the same profile in both calls, or remove one of them.");
        }

        if (KeepAliveGrpcChannel.IsOn(options, handler))
        {
            return options; // the same profile again: a second watcher and observer would say 3300 or 3301 twice
        }

        options.ServiceProvider = SetUp(options, profiles, profileName, handler, gate, disposedBefore: null, options.ServiceProvider);
        return options;
    }

    /// <summary>Applies a keep-alive profile to the channel, as <see cref="UseKeepAlive(GrpcChannelOptions, IKeepAliveProfiles, string)"/>, with the profiles of a service provider (for <c>ConfigureChannel((services, options) => ...)</c> of the gRPC client factory).</summary>
    /// <param name="options">The channel's options.</param>
    /// <param name="services">A service provider with <c>services.AddKeepAlive(...)</c>.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    [UnsupportedOSPlatform("browser")]
    public static GrpcChannelOptions UseKeepAlive(this GrpcChannelOptions options, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(profileName);
        return options.UseKeepAlive(RegisteredProfiles.From(services, "GrpcChannelOptions.UseKeepAlive", profileName), profileName);
    }

    /// <summary>
    /// Gives the channels built from <paramref name="options"/> a SocketsHttpHandler created here and set up with the profile:
    /// the channel's, disposed with it, as gRPC disposes one of its own (UseKeepAlive on options without a handler, and each
    /// further channel built from them). The options carry it and its watcher once it is set up, never emptied meanwhile: a
    /// channel built from them at the same moment on another thread gets one handler or another, never none.
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="inner">The options' own service provider, which the watcher wraps.</param>
    /// <param name="disposedBefore">The options' DisposeHttpClient before the first UseKeepAlive set it for the handler it created.</param>
    /// <returns>The handler's watcher, which sees the rest of a build under way.</returns>
    internal static IServiceProvider WithAHandlerOfItsOwn(GrpcChannelOptions options, IKeepAliveProfiles profiles, string profileName, IServiceProvider? inner, bool disposedBefore)
    {
        var created = NewHandler();
        var watcher = SetUp(options, profiles, profileName, created, gate: null, disposedBefore, inner);
        (options.HttpHandler, options.DisposeHttpClient, options.ServiceProvider) = (created, true, watcher);
        return watcher;
    }

    /// <summary>What to do instead of an <see cref="GrpcChannelOptions.HttpClient"/>, whose handler UseKeepAlive and the channel cannot see: said where UseKeepAlive refuses one, and where the channel finds one set after it (3302).</summary>
    /// <summary>How messages name the call, e.g. <c>GrpcChannelOptions.UseKeepAlive("payments")</c>.</summary>
    /// <param name="profileName">The profile's name.</param>
    internal static string CallOf(string profileName) => $"GrpcChannelOptions.UseKeepAlive(\"{profileName}\")";

    internal static string HttpClientFix(string profileName) =>
        $"set GrpcChannelOptions.HttpHandler instead of HttpClient (before UseKeepAlive, a SocketsHttpHandler with your settings; after it, the handler UseKeepAlive set up; either one may be wrapped in DelegatingHandlers), or apply the profile to the HttpClient's handler when you create it (socketsHttpHandler.UseKeepAlive(profiles, \"{profileName}\")) and leave GrpcChannelOptions.UseKeepAlive out";

    /// <summary>Puts the profile on <paramref name="handler"/> for channels built from <paramref name="options"/>.</summary>
    /// <returns>The watcher that wraps <paramref name="inner"/>, for the options' ServiceProvider.</returns>
    private static IServiceProvider SetUp(GrpcChannelOptions options, IKeepAliveProfiles profiles, string profileName, SocketsHttpHandler handler, KeepAliveConnectGate? gate, bool? disposedBefore, IServiceProvider? inner)
    {
        // The handler may carry a profile already (SocketsHttpHandler.UseKeepAlive, or this call made twice): its callback
        // without the profile is what a load-balanced channel gets back.
        var ownCallback = KeepAliveConnectCallback.WithoutProfile(handler.ConnectCallback);
        var channel = new KeepAliveGrpcChannel(options, handler, ownCallback, profiles, profileName, disposedBefore, KeepAliveProfiles.LoggerOf(profiles));
        if (KeepAliveConnectGate.CarriedProfile(gate, handler) is not null)
        {
            channel.PoolJudgedBefore();
        }

        gate?.InstallNow(); // the client factory's callback, with its options (ConnectionConfigured), observed below
        // The handler's idle connections are the channel's to judge: against Heartbeat:PeerIdleTimeout, a channel that
        // balances says what keeps them in 3300, one that does not in 3011 (neither known yet here), so the handler's own
        // warning would say it twice.
        KeepAliveGrpcChannel.ObserveConnections(handler, channel, () => handler.UseKeepAlive(profiles, profileName, o => o.ConnectionConfigured = channel.OnConnectionConfigured, judgeThePool: false));
        if (gate is null)
        {
            // The handler took the Http section now, once (the client factory's are built again every HandlerLifetime, and follow reloads).
            // Held by the handler, which keeps the values and which every channel over it keeps.
            // Watched as the profile states them: channels whose handlers drew their own lifetime share one watcher, and one
            // warning names the lifetimes in force.
            var taken = KeepAliveHandlerSettings.Values(profiles.GetProfile(profileName).Http);
            var drawn = DrawnLifetimes.Of(profiles, profileName, taken, handler);
            ClientReloadWatch.Warn(profiles, profileName, "gRPC channel", ReloadFix, KeepAliveProfiles.LoggerOf(profiles), handler,
                taken, KeepAliveHandlerSettings.ValuesNow(profiles, profileName), drawn is null ? null : drawn.InForce);
            KeepAliveSocketsHttpHandlerExtensions.LeaveReloadWarningToTheClient(handler); // the handler's own 3204 (UseKeepAlive above, or yours before): this one says the same values, naming the channel
        }

        return channel.WrapServiceProvider(inner);
    }

    // gRPC's own default handler; the channel disposes it, as it disposes the handler it creates itself.
    private static SocketsHttpHandler NewHandler() => new() { EnableMultipleHttp2Connections = true };
}

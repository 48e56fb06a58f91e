using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using KeepAlive.Net.Grpc.Diagnostics;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Grpc;

/// <summary>
/// One channel's keep-alive while gRPC builds it: decides whether the profile's ConnectCallback can stay. gRPC refuses a
/// ConnectCallback when it balances on the client side (its load balancer opens the sockets): it asks the channel's service
/// provider for resolvers for a non-http address, and the options say whether there is a load-balancing config, before it
/// inspects the handler; at either sign the handler's own callback is put back. Its messages go to the channel's logging
/// (<see cref="GrpcChannelOptions.LoggerFactory"/>, else its service provider's), else to the profiles' (<paramref name="profilesLogger"/>).
/// </summary>
/// <remarks>
/// A handler UseKeepAlive created (<paramref name="disposedBefore"/> is the options' DisposeHttpClient before it set it, else
/// <see langword="null"/>) is the channel's, disposed with it: a second channel built from the same options gets a handler of
/// its own, set up as UseKeepAlive set up the first, while gRPC builds it.
/// </remarks>
internal sealed class KeepAliveGrpcChannel(GrpcChannelOptions options, SocketsHttpHandler handler, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? ownCallback, IKeepAliveProfiles profiles, string profileName, bool? disposedBefore, ILogger profilesLogger)
{
    // What gRPC asks the options' service provider once at the start of every channel it builds (after ILoggerFactory,
    // which it asks only when the options carry no LoggerFactory): where one build ends and the next begins.
    private const string AskedOncePerBuild = "Grpc.Net.Client.Internal.IOperatingSystem";

    // What gRPC asks once per build right after it chose its resolver (asking for resolvers only for a non-http address): a
    // build that has not balanced by then sends through the handler's own pool.
    private const string AskedAfterTheResolver = "Grpc.Net.Client.Balancer.Internal.ISubchannelTransportFactory";

    // The channel whose observer says 3301, by handler. Channels sharing a handler (gRPC's advice: one handler, cheap
    // channels) share its connections, so one observer serves them all and no later channel is kept alive by the handler.
    private static readonly ConditionalWeakTable<SocketsHttpHandler, KeepAliveGrpcChannel> Observing = [];

    // Held, by handler, while the first channel over it installs the profile (ObserveConnections): a channel over another
    // handler goes on meanwhile, whatever the profiles' lookup in that installation waits for.
    private static readonly ConditionalWeakTable<SocketsHttpHandler, Lock> Installing = [];

    // The handlers over which a watcher saw gRPC build a channel. A first connection over any other came from a channel built
    // without the watcher: the options' ServiceProvider was set after UseKeepAlive. Holds no channel.
    private static readonly ConditionalWeakTable<SocketsHttpHandler, object> Built = [];

    private readonly Lock _lock = new();
    private bool _balancing;
    private int _trackingReported;
    private int _handlerChecked;
    private int _builds;
    private bool _poolJudged;

    private SocketsHttpHandler Handler => handler;

    private bool? DisposedBefore => disposedBefore;

    /// <summary>Whether <paramref name="other"/> is the handler that carries the profile, or wraps it (DelegatingHandlers over it).</summary>
    private bool IsOrWraps(HttpMessageHandler other) => ReferenceEquals(KeepAliveConnectGate.Innermost(other, out _, out _), handler);

    public IServiceProvider WrapServiceProvider(IServiceProvider? inner) => new BuildWatcher(this, inner);

    /// <summary>
    /// Whether the options carry <paramref name="watcher"/> itself: gRPC asks them for services at each step of a build. One
    /// they no longer carry is asked through a later UseKeepAlive's (which wrapped it, and sees the build for its own handler),
    /// or was replaced while a build started on it.
    /// </summary>
    private bool Carries(IServiceProvider watcher) => ReferenceEquals(options.ServiceProvider, watcher);

    /// <summary>Whether the options already carry a channel of ours over this handler: UseKeepAlive called again with the same profile, which changes nothing.</summary>
    public static bool IsOn(GrpcChannelOptions options, SocketsHttpHandler handler) =>
        options.ServiceProvider is BuildWatcher { Channel: var ours } && ReferenceEquals(ours.Handler, handler);

    /// <summary>
    /// Before UseKeepAlive sets up the handler the options carry: when an earlier UseKeepAlive on them created one and set
    /// DisposeHttpClient for it, and they now carry a handler of the user's that neither is nor wraps that one,
    /// DisposeHttpClient goes back to what it was before, as gRPC has it for a handler of the user's (undisposed by default).
    /// </summary>
    public static void ReturnDisposal(GrpcChannelOptions options)
    {
        if (options is { ServiceProvider: BuildWatcher { Channel: { DisposedBefore: { } before } earlier }, HttpHandler: { } yours }
            && !earlier.IsOrWraps(yours))
        {
            options.DisposeHttpClient = before;
        }
    }

    /// <summary>
    /// Makes <paramref name="channel"/> the observer of <paramref name="handler"/>'s connections for every channel over it when it
    /// is the first of ours there, installing the profile (<paramref name="install"/>) unless the handler carries it already.
    /// One at a time: a channel over the same handler set up at the same moment goes on once the profile is installed, so
    /// that it can neither send through the handler without the Tcp section nor start it under the installation. A channel
    /// over another handler does not wait: the installation (and the profiles' lookup in it) concerns this handler only.
    /// </summary>
    public static void ObserveConnections(SocketsHttpHandler handler, KeepAliveGrpcChannel channel, Action install)
    {
        lock (Installing.GetValue(handler, static _ => new Lock()))
        {
            if (Observing.TryAdd(handler, channel) && !KeepAliveConnectCallback.TryObserve(handler.ConnectCallback, channel.OnConnectionConfigured))
            {
                install();
            }
        }
    }

    /// <summary>
    /// The first connection the profile configured: gRPC's connectivity tracking is off on this channel; said once. And, when no
    /// channel over the handler was built through the watcher (a ServiceProvider set after UseKeepAlive), that too.
    /// </summary>
    public void OnConnectionConfigured(Socket socket, KeepAliveSettings settings)
    {
        if (Interlocked.Exchange(ref _trackingReported, 1) == 0)
        {
            var logger = Logger();
            if (logger.IsEnabled(LogLevel.Information))
            {
                Log.ConnectivityTrackingOff(logger, profileName, socket.RemoteEndPoint);
            }

            if (!Built.TryGetValue(handler, out _))
            {
                Log.BuiltUnseen(logger, profileName, socket.RemoteEndPoint);
            }
        }
    }

    /// <summary>
    /// Says, once, that the channel being built sends through something else than the handler that carries the profile (its
    /// <see cref="GrpcChannelOptions.HttpHandler"/> was set after UseKeepAlive, which the channel cannot tell from a choice), or
    /// may (an <see cref="GrpcChannelOptions.HttpClient"/> set after it, whose handler cannot be seen). Not when a later UseKeepAlive wrapped this watcher (it checks its own handler).
    /// </summary>
    private void CheckTheHandler()
    {
        if (Interlocked.Exchange(ref _handlerChecked, 1) == 1)
        {
            return;
        }

        // An HttpClient keeps its handler private: it may be (or wrap) the one UseKeepAlive set up, which cannot be seen.
        const string HandlerSetting = nameof(GrpcChannelOptions.HttpHandler);
        var handlerFix = $"set GrpcChannelOptions.{HandlerSetting} before calling UseKeepAlive (a SocketsHttpHandler of yours, or a handler wrapping one, then carries the profile), or call UseKeepAlive again after setting it";
        var (setting, replacement, sends, fix) = options switch
        {
            { HttpClient: { } client } => (nameof(GrpcChannelOptions.HttpClient), $"an HttpClient ({client.GetType().FullName}), whose handler the channel cannot see (an HttpClient keeps it private; it carries the profile only if it is the one UseKeepAlive set up or wraps it)", "may send", KeepAliveGrpcChannelOptionsExtensions.HttpClientFix(profileName)),
            { HttpHandler: null } => (HandlerSetting, "null (gRPC creates a handler of its own)", "sends", handlerFix),
            { HttpHandler: { } other } when !IsOrWraps(other) => (HandlerSetting, $"the handler {other.GetType().FullName}, which is not the one UseKeepAlive set up and does not wrap it", "sends", handlerFix),
            _ => (null, null, null, null),
        };
        if (setting is not null)
        {
            Log.HandlerReplaced(Logger(), profileName, setting, replacement!, sends!, fix!);
        }
    }

    /// <summary>
    /// At the start of each channel built from the options: the handler is checked again (the options may carry another
    /// since the last channel); from the second channel on, a handler UseKeepAlive created and the first channel disposes
    /// is replaced by one of this channel's own, set up by UseKeepAlive again, whose watcher sees the rest of the build.
    /// </summary>
    /// <returns>The watcher of the handler set up for this channel, or <see langword="null"/>: this one goes on.</returns>
    private IServiceProvider? BuildStarting(IServiceProvider watcher, Type serviceType)
    {
        if (serviceType.FullName != AskedOncePerBuild)
        {
            return null;
        }

        Built.TryAdd(handler, nameof(Built));
        if (Interlocked.Increment(ref _builds) == 1)
        {
            return null;
        }

        Volatile.Write(ref _handlerChecked, 0);
        if (disposedBefore is not { } before)
        {
            return null;
        }

        if (!ReferenceEquals(options.HttpHandler, handler))
        {
            SharedSinceUseKeepAlive();
            return null;
        }

        // DisposeHttpClient as it was before the first UseKeepAlive: that is what a later UseKeepAlive gives back for a
        // handler of yours (ReturnDisposal), not the true set for the handler created here.
        return KeepAliveGrpcChannelOptionsExtensions.WithAHandlerOfItsOwn(options, profiles, profileName, ((BuildWatcher)watcher).Inner, before);
    }

    /// <summary>
    /// Says that a further channel shares what the options carry since UseKeepAlive over the handler it created (a handler
    /// wrapping it, or an HttpClient), which cannot be set up again for this channel, while the options still say that the
    /// channel disposes it: the first channel disposed disposes it under this one.
    /// </summary>
    private void SharedSinceUseKeepAlive()
    {
        var (setting, shared) = options switch
        {
            { DisposeHttpClient: false } => (null, null),
            { HttpClient: { } client } => (nameof(GrpcChannelOptions.HttpClient), $"an HttpClient ({client.GetType().FullName})"),
            { HttpHandler: { } wrapper } when IsOrWraps(wrapper) => (nameof(GrpcChannelOptions.HttpHandler), $"a handler wrapping the one UseKeepAlive created ({wrapper.GetType().FullName})"),
            _ => (null, null),
        };
        if (setting is not null)
        {
            Log.SharesADisposedHandler(Logger(), profileName, setting, shared!);
        }
    }

    private void ChannelBuilding(bool resolverAddress)
    {
        var reason = resolverAddress ? "a resolver address (such as dns:///)" : "a load-balancing config";
        lock (_lock)
        {
            if (_balancing || !(resolverAddress || options.ServiceConfig?.LoadBalancingConfigs.Count > 0))
            {
                return;
            }

            _balancing = true;
            GiveTheCallbackBack(reason);
        }

        var logger = Logger();
        Log.TcpNotApplicable(logger, profileName, reason, IdleConnectionAgainstThePeer());
    }

    /// <summary>
    /// The handler carried the profile before UseKeepAlive on the options: its pool was judged where it took it (3011 of
    /// socketsHttpHandler.UseKeepAlive, or the client factory's validation), so the channel does not say it again.
    /// </summary>
    public void PoolJudgedBefore()
    {
        lock (_lock)
        {
            _poolJudged = true;
        }
    }

    /// <summary>
    /// Once per channel over the handler, when gRPC builds it without balancing (an http or https address, no load-balancing
    /// config): its idle connections are the handler's pooled ones, judged by the pool's rule on the handler's values in force
    /// and the profile now (warning 3011, as for a handler of yours). A balanced channel says it in 3300 instead.
    /// </summary>
    private void ResolverChosen(Type serviceType)
    {
        if (serviceType.FullName != AskedAfterTheResolver)
        {
            return;
        }

        lock (_lock)
        {
            if (_balancing || _poolJudged)
            {
                return;
            }

            _poolJudged = true;
        }

        if (HttpProfileRules.IdlePooledConnectionUnkept(profiles.GetProfile(profileName), profileName, handler) is { } unkept)
        {
            Hosting.Diagnostics.Log.IdlePooledConnectionUnkept(Logger(), KeepAliveGrpcChannelOptionsExtensions.CallOf(profileName), unkept);
        }
    }

    /// <summary>
    /// For event 3300, when the profile has a <c>Heartbeat:PeerIdleTimeout</c>: what keeps a balanced channel's idle
    /// connection, now that the Tcp section does not, from the values in force on the handler: its HTTP/2 PINGs without calls,
    /// else its pool dropping the connection before the middlebox forgets it, else nothing (with the fixes that can work).
    /// </summary>
    /// <returns>The sentence, or empty without a <c>Heartbeat:PeerIdleTimeout</c>.</returns>
    private string IdleConnectionAgainstThePeer()
    {
        var profile = profiles.GetProfile(profileName);
        if (profile.Heartbeat is not { PeerIdleTimeout: { } peer })
        {
            return string.Empty;
        }

        var idle = peer.Value;
        var (pings, pool) = (handler.KeepAlivePingDelay, handler.PooledConnectionIdleTimeout);
        var keeper = HttpProfileRules.WhatKeepsAnIdlePooledConnection(idle, pings, handler.KeepAlivePingPolicy, pool);
        var against = $" Against Heartbeat:PeerIdleTimeout {peer}, without the Tcp section";
        if (keeper == IdlePooledConnectionKeeper.PingsWithoutCalls)
        {
            return $"{against} only the HTTP/2 PINGs keep an idle connection alive: every {Show(pings)} (Http:KeepAlivePingDelay), with or without calls.";
        }

        var noPing = HttpProfileRules.NoPingKeeps(pings, handler.KeepAlivePingPolicy);
        if (keeper == IdlePooledConnectionKeeper.PoolIdleTimeout)
        {
            return $"{against} nothing keeps an idle connection alive: {noPing}; but the pool drops it after {Show(pool)} (Http:PooledConnectionIdleTimeout), before the middlebox forgets it, and the next call opens a new one.";
        }

        // Only the fixes that can work: no PING without calls where the server refuses them.
        var pingFix = HttpProfileRules.PingsWithoutCallsFix(profile) is { } pingsWithoutCallsFix ? $"{pingsWithoutCallsFix}, or " : null;
        return $"{against} nothing keeps an idle connection: {noPing}, and the pool keeps it {HttpProfileRules.PoolKeeps(pool, peer)}, so the middlebox forgets it and the next call goes into a dead flow. Fix: {pingFix}set Http:PooledConnectionIdleTimeout below {Show(idle)}, or use an http or https address.";
    }

    private static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    /// <summary>
    /// Gives the handler's ConnectCallback back to what it was without the profile, for gRPC's load balancer. Not set again
    /// when the handler has it already (a handler shared by channels that balance, which gRPC set up for the first of them):
    /// a handler that has sent refuses any change, the same value included.
    /// </summary>
    /// <exception cref="InvalidOperationException">The handler carries the profile's callback and has sent already: the fix is a handler of the channel's own.</exception>
    private void GiveTheCallbackBack(string reason)
    {
        if (handler.ConnectCallback == ownCallback)
        {
            return;
        }

        try
        {
            handler.ConnectCallback = ownCallback;
        }
        catch (InvalidOperationException started)
        {
            throw new InvalidOperationException(
                $"{KeepAliveGrpcChannelOptionsExtensions.CallOf(profileName)}: the channel balances on the client side ({reason}), so gRPC's load balancer needs the SocketsHttpHandler's ConnectCallback, but that handler carries the profile's Tcp section in its ConnectCallback and has already sent requests (another channel over it, or an HttpClient), so the callback can no longer change. Fix: give this channel a SocketsHttpHandler of its own (GrpcChannelOptions.HttpHandler), or use an http or https address on it too.",
                started);
        }
    }

    private ILogger Logger() =>
        (options.LoggerFactory ?? OwnServices()?.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger("KeepAlive.Net.Grpc") ?? profilesLogger;

    /// <summary>
    /// The options' service provider under every watcher of ours: a watcher asked for logging outside a build (at a
    /// connection, event 3301) would run its build-time checks on the options as they are now, not as the channel was built.
    /// </summary>
    private IServiceProvider? OwnServices()
    {
        var services = options.ServiceProvider;
        while (services is BuildWatcher watcher)
        {
            services = watcher.Inner;
        }

        return services;
    }

    /// <summary>The channel's service provider, seen by gRPC while it builds the channel.</summary>
    private sealed class BuildWatcher(KeepAliveGrpcChannel channel, IServiceProvider? inner) : IServiceProvider
    {
        public KeepAliveGrpcChannel Channel => channel;

        public IServiceProvider? Inner => inner;

        public object? GetService(Type serviceType)
        {
            if (!channel.Carries(this))
            {
                // Wrapped by a later UseKeepAlive, whose handler the channel being built sends through: this one's handler
                // and its channels are not being built (a dns:/// build would take their Tcp callback off).
                return inner?.GetService(serviceType);
            }

            if (channel.BuildStarting(this, serviceType) is { } handedOver)
            {
                return handedOver.GetService(serviceType);
            }

            channel.CheckTheHandler();
            channel.ChannelBuilding(resolverAddress: serviceType == typeof(IEnumerable<ResolverFactory>));
            channel.ResolverChosen(serviceType);
            return inner?.GetService(serviceType);
        }
    }
}

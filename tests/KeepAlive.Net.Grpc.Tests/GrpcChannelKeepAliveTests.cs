using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>
/// A profile on gRPC channels against a real Grpc.AspNetCore server on loopback: the Tcp section read back from the
/// kernel on http addresses, gRPC's client-side load balancing and connectivity tracking left intact, refusals.
/// </summary>
public sealed class GrpcChannelKeepAliveTests
{
    [Fact]
    public async Task ChannelUseKeepAlive_HttpAddress_EveryConnectionCarriesTheTcpSectionAndTrackingOffIsSaid()
    {
        TestEnvironment.RequireLinux();
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var before = ClientSockets.Snapshot(EndPoint(server));
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc"));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "hi" }, cancellationToken: Token);

        reply.Text.Should().Be("hi");
        var settings = ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive();
        (settings.Enabled, settings.IdleTime, settings.Interval, settings.ProbeCount).Should().Be((true, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3), 4), "read back from the kernel on the channel's socket");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle().Which.Should().Contain("GrpcChannel.State");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().BeEmpty();
    }

    [Fact]
    public async Task ChannelUseKeepAlive_DnsAddress_ChannelBuildsCallsSucceedTcpReportedNotApplicableHttpApplies()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", p => p.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(40)));
        var handler = new SocketsHttpHandler();
        var options = new GrpcChannelOptions { HttpHandler = handler, Credentials = ChannelCredentials.Insecure, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() };
        using var channel = GrpcChannel.ForAddress(Dns(server), options.UseKeepAlive(host.Services, "grpc"));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "balanced" }, cancellationToken: Token);

        reply.Text.Should().Be("balanced", "the first call never fails because of the profile");
        channel.State.Should().Be(ConnectivityState.Ready, "gRPC's connectivity tracking works: its load balancer opened the connection");
        handler.KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(40), "the Http section applies");
        handler.ConnectCallback!.Target!.GetType().Name.Should().Be("BalancerHttpHandler", "the connections are gRPC's");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("a resolver address (such as dns:///)").And.Contain("Http section")
            .And.EndWith("use an http or https address.", "a profile without Heartbeat:PeerIdleTimeout says nothing of one");
    }

    // 3300 said the Tcp section does not apply on a balanced channel, and nothing of the profile's Heartbeat:PeerIdleTimeout:
    // that the Http section alone then decides whether an idle connection outlives the middlebox, and whether it does.
    [Theory]
    [InlineData("30s", "20s", null, " Against Heartbeat:PeerIdleTimeout 30s, without the Tcp section only the HTTP/2 PINGs keep an idle connection alive: every 20s (Http:KeepAlivePingDelay), with or without calls.")]
    [InlineData("30s", null, "20s", " Against Heartbeat:PeerIdleTimeout 30s, without the Tcp section nothing keeps an idle connection alive: no HTTP/2 PING is sent (Http:KeepAlivePingDelay is not set); but the pool drops it after 20s (Http:PooledConnectionIdleTimeout), before the middlebox forgets it, and the next call opens a new one.")]
    [InlineData("30s", null, null, " Against Heartbeat:PeerIdleTimeout 30s, without the Tcp section nothing keeps an idle connection: no HTTP/2 PING is sent (Http:KeepAlivePingDelay is not set), and the pool keeps it for 1m (Http:PooledConnectionIdleTimeout), not less than 30s, so the middlebox forgets it and the next call goes into a dead flow. Fix: set Http:KeepAlivePingDelay to at most 15s with PINGs without calls, or set Http:PooledConnectionIdleTimeout below 30s, or use an http or https address.")]
    public void ChannelUseKeepAlive_DnsAddressWithAPeerIdleTimeout_TcpNotApplicableSaysWhatKeepsAnIdleConnection(string peer, string? pingDelay, string? poolIdle, string said)
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", p =>
        {
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse(peer);
            p.Tcp.IdleTime = TimeSpan.FromSeconds(15); // within the peer's, as the profile's own validation asks: the Tcp section suits it
            p.Http.KeepAlivePingDelay = pingDelay is null ? null : KeepAliveDuration.Parse(pingDelay);
            p.Http.PooledConnectionIdleTimeout = poolIdle is null ? null : KeepAliveDuration.Parse(poolIdle);
        }));

        using var channel = GrpcChannel.ForAddress("dns:///127.0.0.1:1", KeepAliveOptions(host));

        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().EndWith("use an http or https address." + said);
    }

    // The channel's handler takes the profile through socketsHttpHandler.UseKeepAlive, whose own warning that nothing keeps
    // an idle pooled connection (3011) would say again what 3300 says of a balanced channel's.
    [Fact]
    public void ChannelUseKeepAlive_DnsAddressAndNothingKeepsAnIdleConnection_OnlyTheChannelSaysIt()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", p =>
        {
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse("30s");
            p.Tcp.Enabled = false;
        }));

        using var channel = GrpcChannel.ForAddress("dns:///127.0.0.1:1", KeepAliveOptions(host));

        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("nothing keeps an idle connection:");
        Logs(host, KeepAliveEventIds.IdlePooledConnectionUnkept).Should().BeEmpty("3300 says it, once");
    }

    // On an http address the channel's idle HTTP/2 connection is pooled by the handler and forgotten by the middlebox as on
    // a balanced channel, but neither 3300 (balanced channels only) nor the handler's 3011 (off for a channel's handler) said it.
    [Fact]
    public void ChannelUseKeepAlive_HttpAddressAndNothingKeepsAnIdleConnection_TheChannelSaysItOnce()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", UnkeptIdleConnections(poolIdle: null)));
        var options = KeepAliveOptions(host);

        using (GrpcChannel.ForAddress("http://127.0.0.1:1", options))
        {
            Logs(host, KeepAliveEventIds.IdlePooledConnectionUnkept).Should().ContainSingle().Which.Should().Be(
                "GrpcChannelOptions.UseKeepAlive(\"grpc\"): nothing keeps an idle pooled connection against Heartbeat:PeerIdleTimeout 30s of KeepAlive profile 'grpc': "
                + "Tcp:Enabled is false, no HTTP/2 PING is sent (Http:KeepAlivePingDelay is not set), "
                + "and the pool keeps an idle connection for 1m (Http:PooledConnectionIdleTimeout), not less than 30s, so the middlebox forgets it and the next request goes into a dead flow. "
                + "Fix: enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below 30s) so the kernel keeps idle connections alive, "
                + "or set Http:KeepAlivePingDelay to at most 15s with PINGs without calls, "
                + "or set Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first.");
        }

        using var further = GrpcChannel.ForAddress("http://127.0.0.1:1", options);

        Logs(host, KeepAliveEventIds.IdlePooledConnectionUnkept).Should().HaveCount(2, "once per channel: the further channel has a handler of its own");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().BeEmpty("the channel does not balance");
    }

    // The control: a pool idle timeout below the middlebox's drops an idle connection first.
    [Fact]
    public void ChannelUseKeepAlive_HttpAddressAndThePoolDropsAnIdleConnectionFirst_SaysNothing()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", UnkeptIdleConnections(poolIdle: TimeSpan.FromSeconds(20))));

        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1", KeepAliveOptions(host));

        Logs(host, KeepAliveEventIds.IdlePooledConnectionUnkept).Should().BeEmpty();
    }

    // A handler of yours that took the profile with socketsHttpHandler.UseKeepAlive said 3011 then: the channel over it does not say it again.
    [Fact]
    public void ChannelUseKeepAlive_HttpAddressOverAHandlerThatSaidItAlready_SaysItOnce()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", UnkeptIdleConnections(poolIdle: null)));
        using var handler = new SocketsHttpHandler().UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "grpc");
        var options = new GrpcChannelOptions { HttpHandler = handler, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");

        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1", options);

        Logs(host, KeepAliveEventIds.IdlePooledConnectionUnkept).Should().ContainSingle().Which.Should().StartWith("socketsHttpHandler.UseKeepAlive(profiles, \"grpc\"): ");
    }

    // The same profile twice is accepted (INTEGRATION.md); each call wrapped the service provider and observed the
    // handler again, so one channel said 3300 or 3301 once per call.
    [Theory]
    [InlineData("http")]
    [InlineData("dns")]
    public async Task ChannelUseKeepAlive_TwiceWithTheSameProfile_TheChannelSaysItsEventOnce(string scheme)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = new GrpcChannelOptions { Credentials = ChannelCredentials.Insecure, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() };
        using var channel = GrpcChannel.ForAddress(scheme == "http" ? server.BaseAddress.ToString() : Dns(server), options.UseKeepAlive(host.Services, "grpc").UseKeepAlive(host.Services, "grpc"));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "twice" }, cancellationToken: Token);

        reply.Text.Should().Be("twice");
        Logs(host, scheme == "http" ? KeepAliveEventIds.GrpcConnectivityTrackingOff : KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle();
    }

    [Fact]
    public async Task ChannelUseKeepAlive_DnsAddressWithAHandlerThatAlreadyCarriesTheProfile_ChannelBuildsAndCallsSucceed()
    {
        // INTEGRATION.md: SocketsHttpHandler.UseKeepAlive is for "a gRPC channel's" handler too; the channel's UseKeepAlive
        // after it must still take the profile's callback off on a load-balanced channel, not put the profile's back.
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var handler = new SocketsHttpHandler().UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "grpc");
        var options = new GrpcChannelOptions { HttpHandler = handler, Credentials = ChannelCredentials.Insecure, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() };
        using var channel = GrpcChannel.ForAddress(Dns(server), options.UseKeepAlive(host.Services, "grpc"));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "carried" }, cancellationToken: Token);

        reply.Text.Should().Be("carried", "the first call never fails because of the profile");
        handler.ConnectCallback!.Target!.GetType().Name.Should().Be("BalancerHttpHandler", "the connections are gRPC's");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("a resolver address (such as dns:///)");
    }

    [Fact]
    public async Task ChannelUseKeepAlive_HttpAddressWithAHandlerThatAlreadyCarriesTheProfile_TrackingOffIsSaid()
    {
        // The handler's profile turns gRPC's connectivity tracking off as the channel's would: event 3301 must say so. The
        // channel's UseKeepAlive left a handler carrying a profile as it was, without its hook, so nothing was said.
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var handler = new SocketsHttpHandler().UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "grpc");
        var options = new GrpcChannelOptions { HttpHandler = handler, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() };
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options.UseKeepAlive(host.Services, "grpc"));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "carried" }, cancellationToken: Token);

        reply.Text.Should().Be("carried");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle("the channel's connectivity tracking is off, whichever call put the profile on its handler");
    }

    // gRPC's advice: share one handler and make channels cheaply. Each channel's UseKeepAlive added an observer to the
    // handler's callback that was never taken off, so every channel (its options, logger factory, service provider) lived
    // as long as the handler, and each one said 3301 at the handler's next new connection.
    [Fact]
    public async Task ChannelUseKeepAlive_ManyChannelsOverOneSharedHandler_TheHandlerKeepsNoChannelAndTrackingOffIsSaidOnce()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        using var handler = new SocketsHttpHandler();
        var channels = new List<WeakReference>();
        for (var i = 0; i < 20; i++)
        {
            channels.Add(await CallOnAChannelAsync(server, host, handler, $"call {i}"));
        }

        // The handler's HTTP/2 connection keeps its last call's state (the framework's, with or without a profile): a call on a
        // channel of no profile comes last, so that every channel of ours is judged on what the profile keeps.
        using (var plain = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false }))
        {
            await new Echo.EchoClient(plain).SayAsync(new EchoRequest { Text = "plain" }, cancellationToken: Token);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        channels.Skip(1).Count(static c => c.IsAlive).Should().Be(0, "a channel over a shared handler is released with its last reference (one per handler may stay, to say 3301)");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle("the channels share the handler's connections, and tracking is off on all of them");
    }

    // Two channels over one SocketsHttpHandler of yours (gRPC's advice), set up at the same moment on two threads: the first
    // UseKeepAlive claimed the handler and was still installing the profile's callback when the second, which leaves that to
    // the first, built its channel and sent. Its connection went without the Tcp section, in silence, and the first call
    // then failed on the started handler. Here the first call is held inside its installation (the profiles' second
    // GetProfile on its thread) until the second channel has sent, or 3 s.
    [Fact]
    public async Task ChannelUseKeepAlive_TwoChannelsOverOneHandlerSetUpAtOnce_TheSecondWaitsForTheFirstToInstallTheProfile()
    {
        TestEnvironment.RequireLinux(); // reads the socket's keep-alive back from the kernel
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var profiles = new HeldProfiles(host.Services.GetRequiredService<IKeepAliveProfiles>());
        using var handler = new SocketsHttpHandler();
        var before = ClientSockets.Snapshot(EndPoint(server));
        var first = Task.Factory.StartNew(() => new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles.HoldingThisThread(), "grpc"), Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await profiles.Held.WaitAsync(Token);

        var second = Task.Run(async () =>
        {
            using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles, "grpc"));
            var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "second" }, cancellationToken: Token);
            profiles.Release();
            return reply.Text;
        }, Token);

        (await second).Should().Be("second");
        await first.Invoking(static f => f).Should().NotThrowAsync("the handler had not sent when the first call set it up");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the second channel's connection carries the Tcp section");
    }

    // A further channel from options without a handler of yours gets one of its own, set up while gRPC builds it. That set-up
    // emptied the options' HttpHandler and ServiceProvider first: a channel built from them meanwhile on another thread got
    // gRPC's own handler, without the profile, and nothing said so. Here the set-up is held inside the profiles (its first
    // GetProfile) while the other channel is built and sends.
    [Fact]
    public async Task ChannelUseKeepAlive_AChannelBuiltWhileAFurtherOnesHandlerIsSetUp_CarriesTheProfile()
    {
        TestEnvironment.RequireLinux(); // reads the sockets' keep-alive back from the kernel
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var profiles = new HeldProfiles(host.Services.GetRequiredService<IKeepAliveProfiles>());
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(profiles, "grpc");
        using var built = GrpcChannel.ForAddress(server.BaseAddress, options);
        var before = ClientSockets.Snapshot(EndPoint(server));
        var setUp = Task.Factory.StartNew(
            () =>
            {
                profiles.HoldingThisThread(call: 1);
                return GrpcChannel.ForAddress(server.BaseAddress, options);
            }, Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await profiles.Held.WaitAsync(Token);

        // Kept until the end: two channels built at the same moment from one options object may share a handler, which the
        // first disposed disposes (the documented limit, INTEGRATION.md); this test is about the profile, not that.
        using var meanwhile = GrpcChannel.ForAddress(server.BaseAddress, options);
        (await new Echo.EchoClient(meanwhile).SayAsync(new EchoRequest { Text = "meanwhile" }, cancellationToken: Token)).Text.Should().Be("meanwhile");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the channel built meanwhile carries the profile too");
        profiles.Release();

        using var further = await setUp;
        (await new Echo.EchoClient(further).SayAsync(new EchoRequest { Text = "further" }, cancellationToken: Token)).Text.Should().Be("further");
    }

    // The first channel over a handler installs the profile under a lock, which was one for every handler: a profiles
    // implementation slow to answer that installation's lookup held every other channel's set-up, over a handler of its
    // own, behind it. Here the first set-up is held inside its installation until the other one has completed (or 1 min).
    [Fact]
    public async Task ChannelUseKeepAlive_OneChannelsProfileLookupHeld_AChannelOverAnotherHandlerIsSetUpMeanwhile()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var profiles = new HeldProfiles(host.Services.GetRequiredService<IKeepAliveProfiles>(), holdAtMost: TimeSpan.FromMinutes(1));
        using var handler = new SocketsHttpHandler();
        var held = Task.Factory.StartNew(() => new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles.HoldingThisThread(), "grpc"), Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await profiles.Held.WaitAsync(Token);

        var other = Task.Factory.StartNew(() => new GrpcChannelOptions().UseKeepAlive(profiles, "grpc"), Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(30), Token));
        var setUpMeanwhile = other.IsCompleted;
        var stillHeld = !held.IsCompleted;
        profiles.Release();

        await held;
        stillHeld.Should().BeTrue("the control: the first set-up waits for its release");
        setUpMeanwhile.Should().BeTrue("the other channel's set-up concerns another handler, and must not wait for the first one's profile lookup");
        (await other).HttpHandler.Should().BeOfType<SocketsHttpHandler>().Which.ConnectCallback.Should().NotBeNull("the other channel's handler carries the profile");
    }

    /// <summary>Profiles whose GetProfile call number <c>call</c> on the holding thread (by default the second: the handler's installation, in UseKeepAlive) waits until released, or <c>holdAtMost</c> (3 s).</summary>
    private sealed class HeldProfiles(IKeepAliveProfiles inner, TimeSpan? holdAtMost = null) : IKeepAliveProfiles
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _heldNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _holding = -1;
        private int _held = 2;
        private int _callsOnHolding;

        public Task Held => _heldNow.Task;

        public IReadOnlyCollection<string> Names => inner.Names;

        public HeldProfiles HoldingThisThread(int call = 2)
        {
            (_holding, _held, _callsOnHolding) = (Environment.CurrentManagedThreadId, call, 0);
            return this;
        }

        public void Release() => _released.TrySetResult();

        public KeepAliveProfileOptions GetProfile(string profileName)
        {
            if (Environment.CurrentManagedThreadId == _holding && ++_callsOnHolding == _held)
            {
                _heldNow.SetResult();
                _released.Task.Wait(holdAtMost ?? TimeSpan.FromSeconds(3));
            }

            return inner.GetProfile(profileName);
        }

        public KeepAliveSettings Configure(System.Net.Sockets.Socket socket, string profileName) => inner.Configure(socket, profileName);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> CallOnAChannelAsync(WebServer server, IHost host, SocketsHttpHandler handler, string text)
    {
        var options = new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        using (var channel = GrpcChannel.ForAddress(server.BaseAddress, options))
        {
            (await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = text }, cancellationToken: Token)).Text.Should().Be(text);
        }

        return new WeakReference(options);
    }

    [Fact]
    public void GrpcChannel_DnsAddressWithAConnectCallback_ThrowsWhenBuilt_WhatUseKeepAliveAvoids()
    {
        var options = new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectCallback = static (_, _) => throw new InvalidOperationException("never called") },
            Credentials = ChannelCredentials.Insecure,
        };

        var build = () => GrpcChannel.ForAddress("dns:///127.0.0.1:1", options);

        build.Should().Throw<InvalidOperationException>().WithMessage("*ConnectCallback*", "gRPC refuses a ConnectCallback on a load-balanced channel, so a profile must not leave one there");
    }

    [Fact]
    public async Task ChannelUseKeepAlive_LoadBalancingConfigOnAnHttpAddress_ChannelBuildsAndTcpIsReportedNotApplicable()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } }; // set after UseKeepAlive: still seen
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options);

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "round robin" }, cancellationToken: Token);

        reply.Text.Should().Be("round robin");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("a load-balancing config");
    }

    [Theory]
    [InlineData("http")]
    [InlineData("dns")]
    public async Task FactoryUseKeepAlive_GrpcChannel_FirstCallSucceedsGrpcKeepsItsConnectionsAndTcpIsReportedNotApplicable(string scheme)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("grpc", p => p.Http.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50));
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = scheme == "http" ? server.BaseAddress : new Uri(Dns(server)))
                .ConfigureChannel(o => o.Credentials = ChannelCredentials.Insecure)
                .UseKeepAlive("grpc");
        });

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().SayAsync(new EchoRequest { Text = scheme }, cancellationToken: Token);

        reply.Text.Should().Be(scheme, "services.AddGrpcClient<T>().UseKeepAlive(...) must not break the channel, whatever its address");
        Logs(host, KeepAliveEventIds.HttpClientTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("gRPC's channel").And.Contain("options.UseKeepAlive");
    }

    [Fact]
    public async Task FactoryConfigureChannelUseKeepAlive_HttpAddress_TheTcpSectionReachesTheChannelsSocket()
    {
        TestEnvironment.RequireLinux();
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("grpc", NatProfiles.ReadBack);
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = server.BaseAddress)
                .UseKeepAlive("grpc")
                .ConfigureChannel((provider, options) => options.UseKeepAlive(provider, "grpc"));
        });
        var before = ClientSockets.Snapshot(EndPoint(server));

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().SayAsync(new EchoRequest { Text = "factory" }, cancellationToken: Token);

        reply.Text.Should().Be("factory");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        Logs(host, KeepAliveEventIds.HttpClientTcpNotApplicable).Should().BeEmpty("the channel's handler carries the profile from the start");
        Logs(host, KeepAliveEventIds.GrpcChannelBuiltUnseen).Should().BeEmpty("the client factory sets the options' ServiceProvider before ConfigureChannel, so UseKeepAlive saw the channel being built");
    }

    [Fact]
    public async Task FactoryUseKeepAliveWithOptionsAndConfigureChannelUseKeepAlive_HttpAddress_TheClientsConnectionCallbackStillRuns()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        var configured = 0;
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("grpc", _ => { });
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = server.BaseAddress)
                .UseKeepAlive("grpc", o => o.ConnectionConfigured = (_, _) => Interlocked.Increment(ref configured))
                .ConfigureChannel((provider, options) => options.UseKeepAlive(provider, "grpc"));
        });

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().SayAsync(new EchoRequest { Text = "callback" }, cancellationToken: Token);

        reply.Text.Should().Be("callback");
        Volatile.Read(ref configured).Should().Be(1, "the ConnectionConfigured given to the client's UseKeepAlive must run for the channel's connection, not be dropped when ConfigureChannel applies the same profile");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle("the channel still sees its connections configured");
        Logs(host, KeepAliveEventIds.GrpcChannelBuiltUnseen).Should().BeEmpty("the client factory sets the options' ServiceProvider before ConfigureChannel, so UseKeepAlive saw the channel being built");
    }

    // The channel's handler takes the Http section once; a reload changing its ping delay was accepted without a word,
    // while the client packages (3204) and Kestrel (3106) say what stays.
    [Fact]
    public void ChannelUseKeepAlive_AReloadChangesTheHttpSection_WarnsThatTheHandlersValuesStayWithTheFix()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay", "20s"), new("KeepAlive:Profiles:grpc:Http:KeepAlivePingTimeout", "10s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new GrpcChannelOptions().UseKeepAlive(profiles.Profiles, "grpc");

        configuration["KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay"] = "30s";
        configuration.Reload();

        ((SocketsHttpHandler)options.HttpHandler!).KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Be(
            "gRPC channel took these values from KeepAlive profile 'grpc' once, when it was set up, so the reload just accepted does not reach them: SocketsHttpHandler.KeepAlivePingDelay stays 20s (the profile now says 30s). "
            + "Fix: create the GrpcChannel again from GrpcChannelOptions.UseKeepAlive (its sockets already follow reloads; the handler's pings, pool timers and connect timeout are fixed when UseKeepAlive runs).");
    }

    // The channel's handler is set up by socketsHttpHandler.UseKeepAlive (here, or by you before), which says 3204 for a
    // handler of yours: the channel's own warning names the channel and its fix, and one reload says it once, not twice.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChannelUseKeepAlive_AReloadChangesTheHttpSection_OneWarningNamingTheChannelNotTheHandlerToo(bool handlerSetUpByYou)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var yours = handlerSetUpByYou ? new SocketsHttpHandler().UseKeepAlive(profiles.Profiles, "grpc") : null;
        var options = new GrpcChannelOptions { HttpHandler = yours, DisposeHttpClient = yours is null }.UseKeepAlive(profiles.Profiles, "grpc");

        configuration["KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay"] = "30s";
        configuration.Reload();

        ((SocketsHttpHandler)options.HttpHandler!).KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(20), "the control: the channel's handler keeps its value");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one reload, one warning per client").Which.Should()
            .StartWith("gRPC channel took these values").And.Contain("SocketsHttpHandler.KeepAlivePingDelay stays 20s (the profile now says 30s)");
    }

    [Fact]
    public void ChannelUseKeepAlive_AReloadChangesThePoolLifetime_TheWarningNamesTheLifetimeInForceAfterItsJitter()
    {
        // The handler's PooledConnectionLifetime is the profile's less a random part of Http:MaxConnectionAgeJitter; the
        // warning said "stays 5m", a value the handler never had.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime", "5m"), new("KeepAlive:Profiles:grpc:Http:MaxConnectionAgeJitter", "30s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var handler = (SocketsHttpHandler)new GrpcChannelOptions().UseKeepAlive(profiles.Profiles, "grpc").HttpHandler!;
        handler.PooledConnectionLifetime.Should().BeLessThan(TimeSpan.FromMinutes(5), "the control: the jitter took a random part off");

        configuration["KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime"] = "10m";
        configuration.Reload();

        // To the millisecond: the draw is to the tick, and "4m34s478ms515.7us" names a precision no pool timer has.
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Contain(
            $"SocketsHttpHandler.PooledConnectionLifetime stays {InMilliseconds(handler.PooledConnectionLifetime)} (from 5m less up to 30s of Http:MaxConnectionAgeJitter) (the profile now says 10m less up to 30s of Http:MaxConnectionAgeJitter)")
            .And.NotContain("us ");
    }

    // Each channel's handler draws its own lifetime, and each draw made a watcher of its own: three channels from one
    // profile said three warnings at one reload, where clients set up with the same profile and values share one.
    [Fact]
    public void ChannelUseKeepAlive_ChannelsDrawTheirOwnLifetime_OneReloadWarnsOnceNamingTheLifetimesInForce()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime", "5m"), new("KeepAlive:Profiles:grpc:Http:MaxConnectionAgeJitter", "30s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var handlers = Enumerable.Range(0, 3).Select(_ => (SocketsHttpHandler)new GrpcChannelOptions().UseKeepAlive(profiles.Profiles, "grpc").HttpHandler!).ToArray();
        var lifetimes = handlers.Select(h => h.PooledConnectionLifetime).Order().ToArray();
        lifetimes.Distinct().Should().HaveCount(3, "the control: each handler drew its own lifetime");

        configuration["KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime"] = "10m";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one reload, one warning for the channels set up from one profile with the same values").Which.Should().Contain(
            $"SocketsHttpHandler.PooledConnectionLifetime stays {InMilliseconds(lifetimes[0])} to {InMilliseconds(lifetimes[^1])} in 3 handlers (from 5m less up to 30s of Http:MaxConnectionAgeJitter) (the profile now says 10m less up to 30s of Http:MaxConnectionAgeJitter)");
        GC.KeepAlive(handlers);
    }

    // Channels over one handler of yours share its one draw: the warning names that handler once, not once per channel.
    [Fact]
    public void ChannelUseKeepAlive_ChannelsShareAHandler_TheWarningNamesItsOneLifetime()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime", "5m"), new("KeepAlive:Profiles:grpc:Http:MaxConnectionAgeJitter", "30s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var handler = new SocketsHttpHandler();
        new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles.Profiles, "grpc");
        new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles.Profiles, "grpc");

        configuration["KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime"] = "10m";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Contain(
            $"SocketsHttpHandler.PooledConnectionLifetime stays {InMilliseconds(handler.PooledConnectionLifetime)} (from 5m less up to 30s of Http:MaxConnectionAgeJitter) (the profile now says");
    }

    [Fact]
    public void ChannelUseKeepAlive_AReloadLeavesThePoolLifetimeAndItsJitter_TheWarningDoesNotNameTheLifetime()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:grpc:Http:PooledConnectionLifetime", "5m"), new("KeepAlive:Profiles:grpc:Http:MaxConnectionAgeJitter", "30s"), new("KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new GrpcChannelOptions().UseKeepAlive(profiles.Profiles, "grpc");

        configuration["KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("SocketsHttpHandler.KeepAlivePingDelay stays 20s (the profile now says 30s)").And.NotContain("PooledConnectionLifetime");
    }

    // gRPC's advice is one handler for many channels. A dns:/// channel's UseKeepAlive gives the handler's ConnectCallback
    // back to gRPC's load balancer while the channel is built: on a handler that has sent already (through another
    // channel), SocketsHttpHandler refused the change with its own message, which says nothing of the profile or the fix.
    [Theory]
    [InlineData("http")]
    [InlineData("dns")]
    public async Task ChannelUseKeepAlive_DnsAddressOnAHandlerAnotherChannelHasSentThrough_BuildsWhenGrpcAlreadyBalancesItOrRefusedWithTheFix(string first)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        using var handler = new SocketsHttpHandler();
        GrpcChannelOptions Options() => new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false, Credentials = ChannelCredentials.Insecure, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        using var sent = GrpcChannel.ForAddress(first == "http" ? server.BaseAddress.ToString() : Dns(server), Options());
        (await new Echo.EchoClient(sent).SayAsync(new EchoRequest { Text = "first" }, cancellationToken: Token)).Text.Should().Be("first");

        var second = () => GrpcChannel.ForAddress(Dns(server), Options());

        if (first == "dns")
        {
            using var balanced = second.Should().NotThrow("gRPC's load balancer already has the handler's ConnectCallback, as the second channel needs").Subject;
            (await new Echo.EchoClient(balanced).SayAsync(new EchoRequest { Text = "second" }, cancellationToken: Token)).Text.Should().Be("second");
        }
        else
        {
            second.Should().Throw<InvalidOperationException>().WithMessage(
                "GrpcChannelOptions.UseKeepAlive(\"grpc\"): the channel balances on the client side (a resolver address (such as dns:///)), so gRPC's load balancer needs the SocketsHttpHandler's ConnectCallback, but that handler carries the profile's Tcp section in its ConnectCallback and has already sent requests (another channel over it, or an HttpClient), so the callback can no longer change. Fix: give this channel a SocketsHttpHandler of its own (GrpcChannelOptions.HttpHandler), or use an http or https address on it too.");
        }
    }

    [Fact]
    public async Task ChannelUseKeepAlive_ChannelDisposedAndCollected_AReloadOfTheHttpSectionNoLongerWarns()
    {
        // 3204 said "gRPC channel took these values" after every accepted reload for the rest of the process, also once the
        // channel (and the handler it made and disposed) was gone: the watcher's subscription was never released.
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var handler = await ReloadWhileAChannelLivesThenDisposeAsync(server, profiles, configuration);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the control: a live channel keeps KeepAlivePingDelay 20s")
            .Which.Should().Contain("SocketsHttpHandler.KeepAlivePingDelay stays 20s (the profile now says 30s)");
        for (var i = 0; i < 50 && handler.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(100, Token);
        }

        handler.IsAlive.Should().BeFalse("the disposed channel and its handler are referenced by nothing of the test's");

        configuration["KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay"] = "40s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().HaveCount(2);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("no channel keeps the values any more");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> ReloadWhileAChannelLivesThenDisposeAsync(WebServer server, ClientProfiles profiles, IConfigurationRoot configuration)
    {
        var options = new GrpcChannelOptions().UseKeepAlive(profiles.Profiles, "grpc");
        var handler = new WeakReference(options.HttpHandler);
        using (var channel = GrpcChannel.ForAddress(server.BaseAddress, options))
        {
            (await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "before" }, cancellationToken: Token)).Text.Should().Be("before");
            configuration["KeepAlive:Profiles:grpc:Http:KeepAlivePingDelay"] = "30s";
            configuration.Reload();
        }

        return handler;
    }

    [Fact]
    public void FactoryUseKeepAliveAndConfigureChannelUseKeepAlive_TwoProfiles_RefusedNamingBothAndTheFix()
    {
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("a", p => p.Http.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50));
            services.AddKeepAlive("b", p => p.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(40));
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = new Uri("http://127.0.0.1:1"))
                .UseKeepAlive("a")
                .ConfigureChannel((provider, options) => options.UseKeepAlive(provider, "b"));
        });

        var create = () => host.Services.GetRequiredService<Echo.EchoClient>();

        create.Should().Throw<InvalidOperationException>().WithMessage(
            "GrpcChannelOptions.UseKeepAlive(\"b\"): the channel's handler already carries KeepAlive profile 'a'*Fix:*same profile*");
    }

    [Fact]
    public void ChannelUseKeepAlive_HandlerCarryingAnotherProfile_RefusedNamingBothAndTheFix()
    {
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("a", _ => { });
            services.AddKeepAlive("b", _ => { });
        });
        var handler = new SocketsHttpHandler().UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "a");

        var apply = () => new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(host.Services, "b");

        apply.Should().Throw<InvalidOperationException>().WithMessage(
            "GrpcChannelOptions.UseKeepAlive(\"b\"): the channel's handler already carries KeepAlive profile 'a'*Fix:*same profile*");
    }

    // The other order: a SocketsHttpHandler of yours given to the channel with profile "a", then to an HttpClient with
    // socketsHttpHandler.UseKeepAlive(profiles, "b"): the second call changed nothing and said nothing, so the HttpClient's
    // connections ran with "a" while its code named "b".
    [Fact]
    public void ChannelUseKeepAliveThenTheHandlersUseKeepAliveWithAnotherProfile_RefusedNamingBothAndTheFix()
    {
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("a", _ => { });
            services.AddKeepAlive("b", _ => { });
        });
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();
        using var handler = new SocketsHttpHandler();
        _ = new GrpcChannelOptions { HttpHandler = handler }.UseKeepAlive(profiles, "a");

        var apply = () => handler.UseKeepAlive(profiles, "b");

        apply.Should().Throw<InvalidOperationException>().WithMessage(
            "socketsHttpHandler.UseKeepAlive(profiles, \"b\"): the handler already carries KeepAlive profile 'a'*Fix: name the same profile in both calls*");
        handler.UseKeepAlive(profiles, "a").Should().BeSameAs(handler, "the same profile again is accepted");
    }

    [Fact]
    public async Task FactoryConfigureChannelUseKeepAlive_DnsAddress_FirstCallSucceedsAndTcpIsReportedNotApplicable()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services =>
        {
            services.AddKeepAlive("grpc", p => p.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(40));
            services.AddGrpcClient<Echo.EchoClient>(o => o.Address = new Uri(Dns(server)))
                .ConfigureChannel((provider, options) =>
                {
                    options.Credentials = ChannelCredentials.Insecure;
                    options.UseKeepAlive(provider, "grpc"); // the factory set the channel's ServiceProvider before: it is wrapped
                });
        });

        var reply = await host.Services.GetRequiredService<Echo.EchoClient>().SayAsync(new EchoRequest { Text = "factory dns" }, cancellationToken: Token);

        reply.Text.Should().Be("factory dns", "the factory's channel is load-balanced: the profile's ConnectCallback must be gone before gRPC inspects the handler");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle().Which.Should().Contain("a resolver address (such as dns:///)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChannelUseKeepAlive_OptionsWithoutALoggerFactory_TheMessagesGoToTheProfilesLogging(bool dnsAddress)
    {
        // INTEGRATION.md's channel built in code: new GrpcChannelOptions().UseKeepAlive(profiles, "orders"), no LoggerFactory.
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = new GrpcChannelOptions { Credentials = ChannelCredentials.Insecure }.UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "grpc");
        using var channel = GrpcChannel.ForAddress(dnsAddress ? Dns(server) : server.BaseAddress.ToString(), options);

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "in code" }, cancellationToken: Token);

        reply.Text.Should().Be("in code");
        Logs(host, dnsAddress ? KeepAliveEventIds.GrpcChannelTcpNotApplicable : KeepAliveEventIds.GrpcConnectivityTrackingOff)
            .Should().ContainSingle("what the profile could not do on this channel, or what it turned off, is said where the profiles' other messages go");
    }

    // UseKeepAlive on options without a handler creates one and makes it the channel's (DisposeHttpClient): a second channel
    // built from the same options shared it, and its calls failed (ObjectDisposedException) once the first was disposed.
    // dns: a load-balanced channel, whose handler's callback gRPC takes: the second channel's own handler is set up for that too.
    [Theory]
    [InlineData("http")]
    [InlineData("dns")]
    public async Task ChannelUseKeepAlive_TwoChannelsFromTheSameOptions_EachHasAHandlerOfItsOwnCarryingTheProfile(string scheme)
    {
        if (scheme == "http")
        {
            TestEnvironment.RequireLinux(); // reads the socket's keep-alive back from the kernel
        }

        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var address = scheme == "http" ? server.BaseAddress.ToString() : Dns(server);
        var options = KeepAliveOptions(host);
        var first = GrpcChannel.ForAddress(address, options);
        using var second = GrpcChannel.ForAddress(address, options);
        (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        first.Dispose();
        var before = ClientSockets.Snapshot(EndPoint(server));

        var reply = await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token);

        reply.Text.Should().Be("2", "the second channel's handler is not the first's, which its disposal disposed");
        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().BeEmpty();
        Logs(host, KeepAliveEventIds.GrpcChannelSharesADisposedHandler).Should().BeEmpty("each channel has a handler of its own");
        if (scheme == "http")
        {
            var settings = ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive();
            (settings.Enabled, settings.IdleTime, settings.Interval, settings.ProbeCount).Should().Be((true, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3), 4), "the second channel's handler carries the profile too");
        }
        else
        {
            Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().HaveCount(2, "each channel's handler left its callback to gRPC's balancer");
        }
    }

    // One options object, several addresses: the handler of its own that each further channel gets (set up while gRPC builds
    // it) follows that channel's address, whatever the previous one's: the Tcp section on an http one, left to gRPC's
    // balancer on a dns:/// one, and each event said once per channel.
    [Theory]
    [InlineData("http", "dns")]
    [InlineData("dns", "http")]
    public async Task ChannelUseKeepAlive_ChannelsFromTheSameOptionsOnOtherAddresses_EachFollowsItsOwnAddress(string firstScheme, string secondScheme)
    {
        TestEnvironment.RequireLinux(); // reads the http channel's socket back from the kernel
        await using var one = await GrpcServers.StartOnLoopbackAsync();
        await using var other = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var options = KeepAliveOptions(host);
        var httpServer = firstScheme == "http" ? one : other;
        var before = ClientSockets.Snapshot(EndPoint(httpServer));
        var first = GrpcChannel.ForAddress(firstScheme == "http" ? one.BaseAddress.ToString() : Dns(one), options);
        using var second = GrpcChannel.ForAddress(secondScheme == "http" ? other.BaseAddress.ToString() : Dns(other), options);
        (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        var idle = firstScheme == "http" ? ClientSockets.SingleNew(EndPoint(httpServer), before).View.GetKeepAlive().IdleTime : default;
        first.Dispose();

        (await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token)).Text.Should().Be("2");

        (secondScheme == "http" ? ClientSockets.SingleNew(EndPoint(httpServer), before).View.GetKeepAlive().IdleTime : idle).Should().Be(TimeSpan.FromSeconds(7), "the http channel's handler carries the Tcp section");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle("the dns:/// channel's handler, and only its, left its callback to gRPC");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle("the http channel's handler, and only its, carries the Tcp section");
        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().BeEmpty();
        Logs(host, KeepAliveEventIds.GrpcChannelSharesADisposedHandler).Should().BeEmpty();
    }

    // One options object reused: an http channel built from it, then the options given a load-balancing config for the next
    // channel before the first one's first call. Saying 3301 at that call asked the options' service provider (the build
    // watcher) for logging, which ran its build-time check on the options as they were now: it took the first channel for a
    // balancing one, tried to give its started handler's callback to gRPC, and the call failed with that error.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChannelUseKeepAlive_OptionsGivenALoadBalancingConfigAfterAnHttpChannelWasBuilt_ThatChannelsFirstCallSucceedsWithTheTcpSection(bool handlerOfYours)
    {
        TestEnvironment.RequireLinux(); // reads the socket's keep-alive back from the kernel
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        using var yours = new SocketsHttpHandler();
        var options = new GrpcChannelOptions { HttpHandler = handlerOfYours ? yours : null, ServiceProvider = host.Services }.UseKeepAlive(host.Services, "grpc");
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options);
        options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        var before = ClientSockets.Snapshot(EndPoint(server));

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "built before" }, cancellationToken: Token);

        reply.Text.Should().Be("built before", "the channel was built without a load-balancing config and does not balance");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the channel's handler carries the Tcp section");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle();
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().BeEmpty("no channel built so far balances");
    }

    // UseKeepAlive again after a handler of yours (3302's fix) wraps the first call's watcher. A dns:/// channel built then
    // reached the first watcher too, which took it for a channel over the first handler: it took the profile's callback off
    // that handler (the http channel over it then connected without the Tcp section, and a 3300 named no channel of its), or,
    // once that handler had sent, failed the dns:/// channel's build with "has already sent requests", though that channel
    // has a handler of its own.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChannelUseKeepAlive_AgainAfterAHandlerOfYours_ADnsChannelLeavesTheFirstHandlerAndItsChannelAsTheyWere(bool firstChannelSent)
    {
        TestEnvironment.RequireLinux(); // reads the http channel's socket back from the kernel
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var options = KeepAliveOptions(host);
        var created = (SocketsHttpHandler)options.HttpHandler!;
        using var first = GrpcChannel.ForAddress(server.BaseAddress, options);
        if (firstChannelSent)
        {
            (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        }

        using var yours = new SocketsHttpHandler();
        options.HttpHandler = yours;
        options.UseKeepAlive(host.Services, "grpc");

        using var second = GrpcChannel.ForAddress(Dns(server), options);

        (await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token)).Text.Should().Be("2");
        (created.ConnectCallback?.Target?.GetType().Name).Should().Be("KeepAliveConnectCallback", "the first channel's handler keeps the profile's Tcp section");
        Logs(host, KeepAliveEventIds.GrpcChannelTcpNotApplicable).Should().ContainSingle("only the dns:/// channel balances");
        if (!firstChannelSent)
        {
            var before = ClientSockets.Snapshot(EndPoint(server));
            (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
            ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the http channel's socket carries the Tcp section");
        }
    }

    // UseKeepAlive created the handler and set DisposeHttpClient, as gRPC does for one of its own. Wrapped after UseKeepAlive
    // (what 3302's fix for an HttpClient advises), or given to an HttpClient, it cannot be set up again for a second channel
    // from the same options: the second shares it, and its calls failed (ObjectDisposedException) once the first channel was
    // disposed, with nothing said. The second channel's build says so, with the fix.
    [Theory]
    [InlineData("DelegatingHandler")]
    [InlineData("HttpClient")]
    public async Task ChannelUseKeepAlive_TwoChannelsFromOptionsWhoseCreatedHandlerWasWrapped_TheSecondSaysItSharesAHandlerTheFirstDisposes(string over)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        Reuse(options, over);

        var first = GrpcChannel.ForAddress(server.BaseAddress, options);
        using var second = GrpcChannel.ForAddress(server.BaseAddress, options);
        (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        first.Dispose();

        var call = async () => await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token);

        (await call.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain("ObjectDisposedException", "the control: the first channel disposed what the second sends through");
        Logs(host, KeepAliveEventIds.GrpcChannelSharesADisposedHandler).Should().ContainSingle("said when the second channel is built, before any call fails").Which.Should()
            .Contain($"GrpcChannelOptions.{(over == "HttpClient" ? "HttpClient" : "HttpHandler")} was set after UseKeepAlive").And.Contain("ObjectDisposedException").And.Contain("Fix: build each channel from GrpcChannelOptions of its own");
    }

    // The check ran once per UseKeepAlive: a handler set on the options after a first channel was built from them went
    // unsaid on the second channel.
    [Fact]
    public async Task ChannelUseKeepAlive_HandlerSetAfterAFirstChannelWasBuilt_TheSecondChannelSaysTheProfileDoesNotApply()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        using var first = GrpcChannel.ForAddress(server.BaseAddress, options);
        using var yours = new SocketsHttpHandler();
        (options.HttpHandler, options.DisposeHttpClient) = (yours, false);

        using var second = GrpcChannel.ForAddress(server.BaseAddress, options);

        (await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token)).Text.Should().Be("2");
        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().ContainSingle("the second channel sends through a handler without the profile").Which.Should()
            .Contain("GrpcChannelOptions.HttpHandler was set after UseKeepAlive");
    }

    // A handler set after UseKeepAlive replaced the one carrying the profile: the channel connected without keep-alive and
    // without the Http section, and nothing said so.
    [Theory]
    [InlineData("HttpHandler")]
    [InlineData("HttpClient")]
    public async Task ChannelUseKeepAlive_HandlerSetAfterwards_TheChannelSaysTheProfileDoesNotApplyWithTheFix(string setting)
    {
        TestEnvironment.RequireLinux();
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        using var yours = new SocketsHttpHandler();
        using var client = new HttpClient(yours, disposeHandler: false);
        if (setting == "HttpHandler")
        {
            options.HttpHandler = yours;
        }
        else
        {
            (options.HttpHandler, options.HttpClient) = (null, client);
        }

        var before = ClientSockets.Snapshot(EndPoint(server));
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options);

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "replaced" }, cancellationToken: Token);

        reply.Text.Should().Be("replaced");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().Enabled.Should().BeFalse("the control: the socket was opened by a handler without the profile");
        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().ContainSingle().Which.Should()
            .Contain($"GrpcChannelOptions.{setting} was set after UseKeepAlive").And.Contain("neither its Tcp section")
            .And.Contain(setting == "HttpHandler" ? "Fix: set GrpcChannelOptions.HttpHandler before calling UseKeepAlive" : "Fix: set GrpcChannelOptions.HttpHandler instead of HttpClient");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().BeEmpty();
    }

    // The handler UseKeepAlive set up, reused after it: wrapped in a DelegatingHandler set as HttpHandler, or given to an
    // HttpClient set as HttpClient. Both send through it, with the Tcp section. For the HttpClient, 3302 said the channel sent
    // through a handler without the profile, and named as the fix "set GrpcChannelOptions.HttpClient before calling
    // UseKeepAlive", which UseKeepAlive refuses. An HttpClient keeps its handler private: the channel says it cannot see it.
    [Theory]
    [InlineData("DelegatingHandler")]
    [InlineData("HttpClient")]
    public async Task ChannelUseKeepAlive_TheProfilesHandlerReusedAfterwards_TheTcpSectionAppliesAndNoWarningClaimsOtherwise(string over)
    {
        TestEnvironment.RequireLinux();
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        Reuse(options, over);

        var before = ClientSockets.Snapshot(EndPoint(server));
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options);

        (await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = over }, cancellationToken: Token)).Text.Should().Be(over);
        var settings = ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive();
        (settings.Enabled, settings.IdleTime, settings.Interval, settings.ProbeCount).Should().Be((true, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3), 4), "the channel sends through the handler UseKeepAlive set up");
        if (over == "DelegatingHandler")
        {
            Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().BeEmpty("the channel sees the handler that carries the profile inside the one it was given");
        }
        else
        {
            Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().ContainSingle("an HttpClient's handler cannot be seen").Which.Should()
                .Contain("whose handler the channel cannot see").And.NotContain("so the channel sends through a handler that does not carry the profile")
                .And.Contain("Fix: set GrpcChannelOptions.HttpHandler instead of HttpClient").And.NotContain("set GrpcChannelOptions.HttpClient before calling UseKeepAlive");
        }
    }

    // UseKeepAlive wraps the options' ServiceProvider to see gRPC build the channel. One set after it replaced the wrapper, and
    // nothing said so: an http channel still connected with the Tcp section, but what the wrapper does for it was gone (a
    // second channel from the options shared this one's handler and failed, ObjectDisposedException, once this one was disposed;
    // a handler set after UseKeepAlive went unsaid). It is said at the channel's first connection, with the fix.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChannelUseKeepAlive_ServiceProviderSetAfterwards_TheFirstConnectionSaysSoWithTheFix(bool after)
    {
        TestEnvironment.RequireLinux();
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", NatProfiles.ReadBack));
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() };
        if (after)
        {
            options.UseKeepAlive(host.Services, "grpc").ServiceProvider = host.Services;
        }
        else
        {
            options.ServiceProvider = host.Services;
            options.UseKeepAlive(host.Services, "grpc");
        }

        var before = ClientSockets.Snapshot(EndPoint(server));
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, options);

        (await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "provider" }, cancellationToken: Token)).Text.Should().Be("provider");
        ClientSockets.SingleNew(EndPoint(server), before).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the channel connects through the handler UseKeepAlive set up either way");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().ContainSingle("the control: the profile's callback ran");
        if (after)
        {
            Logs(host, KeepAliveEventIds.GrpcChannelBuiltUnseen).Should().ContainSingle().Which.Should()
                .Contain("GrpcChannelOptions.ServiceProvider was set after UseKeepAlive").And.Contain("dns:///").And.Contain("ObjectDisposedException")
                .And.Contain("Fix: set GrpcChannelOptions.ServiceProvider before calling UseKeepAlive");
        }
        else
        {
            Logs(host, KeepAliveEventIds.GrpcChannelBuiltUnseen).Should().BeEmpty("UseKeepAlive saw the channel being built");
        }
    }

    // What the first connection's warning says of a dns:/// channel: gRPC refuses to build it, with its own message, and
    // UseKeepAlive, which does not see that build, cannot say more. The warning and INTEGRATION.md quote that message.
    [Fact]
    public async Task ChannelUseKeepAlive_ServiceProviderSetAfterwardsOnADnsAddress_GrpcRefusesTheChannelNamingTheConnectCallback()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        var options = KeepAliveOptions(host);
        options.ServiceProvider = host.Services;

        var build = () => GrpcChannel.ForAddress(Dns(server), options);

        build.Should().Throw<InvalidOperationException>().WithMessage("*with no SocketsHttpHandler.ConnectCallback configured*");
    }

    [Fact]
    public async Task ChannelUseKeepAlive_HandlerSetBeforeOrUseKeepAliveAgainAfter_NoWarning()
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        using var yours = new SocketsHttpHandler();
        using var later = new SocketsHttpHandler();
        var options = new GrpcChannelOptions { HttpHandler = yours, DisposeHttpClient = false, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        using var first = GrpcChannel.ForAddress(server.BaseAddress, options);
        options.HttpHandler = later;
        using var second = GrpcChannel.ForAddress(server.BaseAddress, options.UseKeepAlive(host.Services, "grpc"));

        (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        (await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token)).Text.Should().Be("2");

        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().BeEmpty("each channel sends through the handler its last UseKeepAlive set up");
        Logs(host, KeepAliveEventIds.GrpcConnectivityTrackingOff).Should().HaveCount(2, "the control: both handlers carry the profile");
    }

    // 3302's fix: set the handler, then call UseKeepAlive again. The first call had created a handler and set DisposeHttpClient
    // for it; that stayed, so the channel disposed the handler of yours (gRPC leaves a handler of yours undisposed by default),
    // and a second channel from the same options failed (ObjectDisposedException) once the first was disposed.
    // 2 channels built before: the second got a handler of its own, set up by UseKeepAlive on the options as the first call
    // had left them (DisposeHttpClient true, for the handler it created), so the value given back became true.
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task ChannelUseKeepAlive_AgainAfterAHandlerOfYours_TheChannelLeavesYourHandlerUndisposed(int channelsBuiltBefore)
    {
        await using var server = await GrpcServers.StartOnLoopbackAsync();
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));
        using var yours = new SocketsHttpHandler();
        var options = new GrpcChannelOptions { LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");
        for (var built = 0; built < channelsBuiltBefore; built++)
        {
            GrpcChannel.ForAddress(server.BaseAddress, options).Dispose();
        }

        options.HttpHandler = yours;
        options.UseKeepAlive(host.Services, "grpc");
        using (var first = GrpcChannel.ForAddress(server.BaseAddress, options))
        {
            (await new Echo.EchoClient(first).SayAsync(new EchoRequest { Text = "1" }, cancellationToken: Token)).Text.Should().Be("1");
        }

        using var second = GrpcChannel.ForAddress(server.BaseAddress, options);

        (await new Echo.EchoClient(second).SayAsync(new EchoRequest { Text = "2" }, cancellationToken: Token)).Text.Should().Be("2", "disposing the first channel left the handler of yours, which both channels share, undisposed");
        options.DisposeHttpClient.Should().BeFalse("gRPC's default for a handler of yours, as before the first UseKeepAlive");
        Logs(host, KeepAliveEventIds.GrpcChannelHandlerReplaced).Should().BeEmpty();
    }

    [Fact]
    public void ChannelUseKeepAlive_PingDelayBelowTheServersMinimum_RefusedBeforeTheChannelExists()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", p =>
        {
            p.Http.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
            p.Http.PeerMinPingInterval = TimeSpan.FromMinutes(5);
        }));

        var apply = () => new GrpcChannelOptions().UseKeepAlive(host.Services, "grpc");

        apply.Should().Throw<OptionsValidationException>().WithMessage("*Http:KeepAlivePingDelay is 10s, below Http:PeerMinPingInterval 5m*too_many_pings*Fix:*");
    }

    [Fact]
    public void ChannelUseKeepAlive_HandlerThatCannotCarryTheProfile_RefusedWithTheFix()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));

        var withClient = () => new GrpcChannelOptions { HttpClient = new HttpClient() }.UseKeepAlive(host.Services, "grpc");
        var withHandler = () => new GrpcChannelOptions { HttpHandler = new HttpClientHandler() }.UseKeepAlive(host.Services, "grpc");
        var unknown = () => new GrpcChannelOptions().UseKeepAlive(host.Services, "grcp");

        withClient.Should().Throw<InvalidOperationException>().WithMessage("*carry an HttpClient*Fix: set GrpcChannelOptions.HttpHandler*");
        withHandler.Should().Throw<InvalidOperationException>().WithMessage("*System.Net.Http.HttpClientHandler, which cannot carry TCP keep-alive*Fix:*");
        unknown.Should().Throw<KeepAliveProfileNotFoundException>().WithMessage("*'grcp'*grpc*");
    }

    // A channel given a name the configuration does not define was refused without saying which call asked for it, as a
    // client library's or an HttpClient's refusal does: with several channels, the one to fix was left to guess.
    [Fact]
    public void ChannelUseKeepAlive_UnknownProfile_RefusedNamingTheCallAndTheFix()
    {
        using var host = ClientHost(services => services.AddKeepAlive("grpc", _ => { }));

        var unknown = () => new GrpcChannelOptions().UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "orders");

        unknown.Should().Throw<KeepAliveProfileNotFoundException>().WithMessage(
            "No KeepAlive profile named 'orders' is registered (registered: 'grpc'), but GrpcChannelOptions.UseKeepAlive(\"orders\") uses it.*Fix: add a \"orders\" section*, or give GrpcChannelOptions.UseKeepAlive(\"orders\") a registered profile ('grpc').");
    }

    [Fact]
    public void ChannelUseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheFix()
    {
        using var services = new ServiceCollection().AddLogging().BuildServiceProvider();

        var apply = () => new GrpcChannelOptions().UseKeepAlive(services, "grpc");

        apply.Should().Throw<InvalidOperationException>().WithMessage("GrpcChannelOptions.UseKeepAlive(\"grpc\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*) or services.AddKeepAlive(\"grpc\", ...) when building the host.");
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string InMilliseconds(TimeSpan value) => KeepAliveDuration.Format(TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds)));

    private static IPEndPoint EndPoint(WebServer server) => new(IPAddress.Loopback, server.BaseAddress.Port);

    // Options without a handler, their channel logging to the host, with profile "grpc" (insecure: for dns:/// addresses too).
    private static GrpcChannelOptions KeepAliveOptions(IHost host) =>
        new GrpcChannelOptions { Credentials = ChannelCredentials.Insecure, LoggerFactory = host.Services.GetRequiredService<ILoggerFactory>() }.UseKeepAlive(host.Services, "grpc");

    private static string Dns(WebServer server) => $"dns:///127.0.0.1:{server.BaseAddress.Port}";

    // A 30 s middlebox, the Tcp section off, no HTTP/2 PING, and the pool idle timeout given (none: the handler's 1 min).
    private static Action<KeepAliveProfileOptions> UnkeptIdleConnections(TimeSpan? poolIdle) => p =>
    {
        p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse("30s");
        p.Tcp.Enabled = false;
        p.Http.PooledConnectionIdleTimeout = poolIdle;
    };

    private static IReadOnlyList<string> Logs(IHost host, int eventId) =>
        [.. host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];

    // The handler UseKeepAlive set up, after it: wrapped in a DelegatingHandler set as HttpHandler, or given to an HttpClient.
    private static void Reuse(GrpcChannelOptions options, string over)
    {
        if (over == "DelegatingHandler")
        {
            options.HttpHandler = new PassingHandler { InnerHandler = options.HttpHandler! };
        }
        else
        {
            (options.HttpClient, options.HttpHandler) = (new HttpClient(options.HttpHandler!), null);
        }
    }

    private sealed class PassingHandler : DelegatingHandler;

    private static IHost ClientHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        configure(builder.Services);
        return builder.Build();
    }
}

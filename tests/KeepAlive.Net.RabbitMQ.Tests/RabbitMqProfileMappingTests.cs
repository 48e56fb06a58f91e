using System.Net.Sockets;
using System.Reflection;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace KeepAlive.Net.RabbitMQ.Tests;

/// <summary>What UseKeepAlive sets on a <see cref="ConnectionFactory"/>, and the input it refuses (no server needed).</summary>
public sealed class RabbitMqProfileMappingTests
{
    [Fact]
    public void UseKeepAlive_ProfileSetsHeartbeatInterval_RequestedHeartbeatInWholeSecondsRoundedDown()
    {
        using var profiles = ClientProfiles.InCode("orders", p => p.Heartbeat.Interval = TimeSpan.FromMilliseconds(5900));

        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(5), "RabbitMQ negotiates whole seconds, and 0 would mean 'the server decides'");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("RequestedHeartbeat 5s from Heartbeat:Interval").And.Contain("rounded down to 5s");
    }

    [Fact]
    public void UseKeepAlive_ProfileLeavesIntervalUnset_YourHeartbeatStaysAndTheFixedTimeoutIsSaid()
    {
        using var profiles = ClientProfiles.InCode("orders", p => p.Heartbeat.Timeout = TimeSpan.FromSeconds(30));

        var factory = new ConnectionFactory { RequestedHeartbeat = TimeSpan.FromSeconds(45) }.UseKeepAlive(profiles.Profiles, "orders");

        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(45));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("Heartbeat:Timeout is not used: RabbitMQ fixes the heartbeat timeout");
    }

    [Fact]
    public void UseKeepAlive_ProfileLeavesIntervalUnsetAndYourHeartbeatIsZero_SaysTheBrokerDecides()
    {
        // RabbitMQ.Client negotiates a requested 0 as the broker's own heartbeat (max(client, server) when either is 0):
        // the line said "RequestedHeartbeat stays 0s", as if the connection had no heartbeat.
        using var profiles = ClientProfiles.InCode("orders", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));

        new ConnectionFactory { RequestedHeartbeat = TimeSpan.Zero }.UseKeepAlive(profiles.Profiles, "orders");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("RequestedHeartbeat stays 0s, so the broker's heartbeat applies (RabbitMQ's default 1m)");
    }

    [Fact]
    public void UseKeepAlive_ProfileSetsATimeout_SaysWhenRabbitMqClientReallyGivesUpOnASilentBroker()
    {
        // RabbitMQ.Client 7 checks once per negotiated heartbeat for a frame and closes at the third check in a row that saw
        // none: a broker frozen with SIGSTOP under a 2 s heartbeat was given up 6.4 to 7.3 s later. The line said "a peer
        // that misses two heartbeats is declared dead, so the connection ends about 2 to 3 x RequestedHeartbeat" (4 to 6 s).
        using var profiles = ClientProfiles.InCode("orders", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(2);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(5);
        });

        new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Heartbeat:Timeout is not used: RabbitMQ fixes the heartbeat timeout: RabbitMQ.Client checks for a frame once per negotiated heartbeat and closes the connection at the third check in a row that saw none, 2 to 4 x the heartbeat after the broker went silent")
            .And.NotContain("2 to 3 x");
    }

    [Fact]
    public void UseKeepAlive_HandSetRequestedHeartbeatConflicts_ProfileWinsAndWarns()
    {
        using var profiles = ClientProfiles.InCode("orders", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var factory = new ConnectionFactory { RequestedHeartbeat = TimeSpan.FromSeconds(45) }.UseKeepAlive(profiles.Profiles, "orders");

        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .Contain("ConnectionFactory.RequestedHeartbeat was set by hand to 45s, but KeepAlive profile 'orders' sets Heartbeat:Interval, so the profile's 20s wins");
    }

    [Fact]
    public void UseKeepAlive_YourSocketFactory_CreatesTheSocketAndTheProfileIsAppliedToIt()
    {
        using var profiles = ClientProfiles.InCode("orders", NatProfiles.ReadBack);
        var yoursRan = false;
        var factory = new ConnectionFactory
        {
            SocketFactory = family =>
            {
                yoursRan = true;
                return new TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            },
        }.UseKeepAlive(profiles.Profiles, "orders");

        using var client = factory.SocketFactory(AddressFamily.InterNetwork);

        yoursRan.Should().BeTrue();
        client.Client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void UseKeepAlive_YourSocketFactoryMakesADualModeSocket_The3200LineNamesTheSocketsFamilyNotAServer()
    {
        // The line named the family RabbitMQ.Client asked for as if it were the connection: "RabbitMQ.Client connection
        // InterNetwork configured" for the IPv6 (dual-mode) socket your SocketFactory returned for it.
        using var profiles = ClientProfiles.InCode("orders", NatProfiles.ReadBack);
        var factory = new ConnectionFactory { SocketFactory = _ => new TcpClientAdapter(new Socket(SocketType.Stream, ProtocolType.Tcp)) }.UseKeepAlive(profiles.Profiles, "orders");

        using var client = factory.SocketFactory(AddressFamily.InterNetwork);

        client.Client.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle().Which.Should()
            .StartWith("RabbitMQ.Client connection (an InterNetworkV6 socket, configured before it connects: the server is not known yet) configured with KeepAlive profile 'orders'")
            .And.NotContain("connection InterNetwork ");
    }

    [Fact]
    public void UseKeepAlive_AgainAfterASocketFactoryWasSetOnTop_ThatFactoryIsKeptAndEachSocketConfiguredOnce()
    {
        // A SocketFactory set after UseKeepAlive (one wrapping ours, to log or count sockets) was dropped by UseKeepAlive
        // again with the same profile: the new factory wrapped the one from before the first call.
        using var profiles = ClientProfiles.InCode("orders", NatProfiles.ReadBack);
        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");
        var ours = factory.SocketFactory;
        var created = 0;
        factory.SocketFactory = family =>
        {
            created++;
            return ours(family);
        };
        factory.UseKeepAlive(profiles.Profiles, "orders");

        using var client = factory.SocketFactory(AddressFamily.InterNetwork);

        created.Should().Be(1, "the factory set after the first call is wrapped, not dropped");
        client.Client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the socket is configured once");
    }

    [Fact]
    public void UseKeepAlive_AgainOnTheSameFactoryAfterAReload_TakesTheNewHeartbeatWithoutCallingTheFirstCallsValueHandSet()
    {
        // Warning 3204's fix is to set up the factory again with UseKeepAlive; on the same factory, the value the first call
        // set was reported as set by hand (3202 "ConnectionFactory.RequestedHeartbeat was set by hand to 20s").
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        factory.UseKeepAlive(profiles.Profiles, "orders");

        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(30));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the first call set 20 s, not you");
    }

    [Fact]
    public void UseKeepAlive_TwiceWithTheSameProfile_EachSocketConfiguredOnce_AnotherProfileRefused()
    {
        using var profiles = ClientProfiles.Build(s => s.AddKeepAlive("orders", NatProfiles.ReadBack).AddKeepAlive("other", _ => { }));
        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders").UseKeepAlive(profiles.Profiles, "orders");

        using var client = factory.SocketFactory(AddressFamily.InterNetwork);
        var another = () => factory.UseKeepAlive(profiles.Profiles, "other");

        client.Client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the socket is configured once, not once per call");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().NotContain(m => m.Contains("your own factory", StringComparison.Ordinal), "the first call's factory is ours, not yours");
        another.Should().Throw<InvalidOperationException>().WithMessage("ConnectionFactory.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'orders'*Fix:*");
    }

    [Fact]
    public void UseKeepAlive_OnAFactoryGivenTheSocketFactoryOfOneSetUpWithAnotherProfile_RefusedRatherThanMixed()
    {
        // new ConnectionFactory { SocketFactory = orders.SocketFactory }.UseKeepAlive("audit") was accepted: its
        // RequestedHeartbeat took 'audit', while each socket it opened was configured with 'orders' (idle 7 s), never 'audit'.
        using var profiles = OrdersAndAudit();
        var orders = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        var another = () => new ConnectionFactory { SocketFactory = orders.SocketFactory }.UseKeepAlive(profiles.Profiles, "audit");

        another.Should().Throw<InvalidOperationException>().WithMessage("ConnectionFactory.UseKeepAlive(\"audit\"): these options already take KeepAlive profile 'orders'*Fix:*");
        var same = new ConnectionFactory { SocketFactory = orders.SocketFactory }.UseKeepAlive(profiles.Profiles, "orders");
        using var client = same.SocketFactory(AddressFamily.InterNetwork);
        client.Client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the same profile wraps the factory the copied one wraps: each socket is configured once");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().NotContain(m => m.Contains("your own factory", StringComparison.Ordinal), "the copied factory is ours, not yours");
    }

    [Fact]
    public void UseKeepAlive_OnAFactoryWhoseSocketFactoryWrapsOneSetUpWithAnotherProfile_EachSocketRefusedRatherThanMixed()
    {
        // new ConnectionFactory { SocketFactory = f => Log(orders.SocketFactory(f)) }.UseKeepAlive("audit") was accepted (a
        // wrapper hides the copied factory) and each socket silently kept 'orders' (idle 7 s): the inner factory configured
        // it first, and 'audit''s saw it configured and left it, while RequestedHeartbeat took 'audit'.
        using var profiles = OrdersAndAudit();
        var orders = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");
        var audit = new ConnectionFactory { SocketFactory = family => orders.SocketFactory(family) }.UseKeepAlive(profiles.Profiles, "audit");

        var create = () => audit.SocketFactory(AddressFamily.InterNetwork);

        create.Should().Throw<InvalidOperationException>().WithMessage(
            "ConnectionFactory.SocketFactory: the socket factory of yours that KeepAlive profile 'audit' wraps returned a socket already configured with KeepAlive profile 'orders'*Fix:*");
        var same = new ConnectionFactory { SocketFactory = family => orders.SocketFactory(family) }.UseKeepAlive(profiles.Profiles, "ORDERS");
        using var client = same.SocketFactory(AddressFamily.InterNetwork);
        client.Client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the same profile through a wrapper is applied as once");
    }

    /// <summary>Two profiles: 'orders' (idle 7 s, read back) and 'audit' (idle 20 s, a 30 s heartbeat).</summary>
    private static ClientProfiles OrdersAndAudit() => ClientProfiles.Build(s => s
        .AddKeepAlive("orders", NatProfiles.ReadBack)
        .AddKeepAlive("audit", p => (p.Tcp.IdleTime, p.Heartbeat.Interval) = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30))));

    [Fact]
    public void UseKeepAlive_ProfileReloaded_TheNextSocketGetsTheNewValuesAndABadReloadKeepsTheLastGoodOnes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        IdleOfTheNextSocket(factory).Should().Be(TimeSpan.FromSeconds(7));
        configuration["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        IdleOfTheNextSocket(factory).Should().Be(TimeSpan.FromSeconds(9), "a connection (or an automatic recovery) opened after the reload gets the new values");
        configuration["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "10";
        configuration.Reload();
        IdleOfTheNextSocket(factory).Should().Be(TimeSpan.FromSeconds(9), "a bad reload (a bare number) keeps the last good values");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket");

        configuration["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "9s";
        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(60), "RequestedHeartbeat is set once, when UseKeepAlive runs");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("ConnectionFactory.RequestedHeartbeat stays RabbitMQ.Client's own (the profile now says 30s)").And.Contain("Fix: create the connection again from a new ConnectionFactory");
    }

    [Theory]
    [InlineData(45_000, "45s")]
    [InlineData(0, "0s, so the broker's heartbeat applies (RabbitMQ's default 1m), as RabbitMQ.Client negotiates a requested 0")]
    [InlineData(1_500, "1s500ms, which RabbitMQ.Client sends in whole seconds, rounded down to 1s")]
    public void UseKeepAlive_ReloadSetsAHeartbeatWhereYourRequestedHeartbeatStays_TheWarningSaysYourValueAsItRuns(int yoursMs, string stays)
    {
        // The factory keeps your RequestedHeartbeat where the profile sets no Heartbeat:Interval: a reload setting one warned
        // "ConnectionFactory.RequestedHeartbeat stays RabbitMQ.Client's own", which is 60 s, for 45 s, and for 0 (the broker
        // decides); and "stays 1s500ms" for a hand-set 1.5 s, which goes out as 1 s, as the 3201 line says.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new ConnectionFactory { RequestedHeartbeat = TimeSpan.FromMilliseconds(yoursMs) }.UseKeepAlive(profiles.Profiles, "orders");

        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain($"RequestedHeartbeat stays {stays} (Heartbeat:Interval is not set)");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain($"ConnectionFactory.RequestedHeartbeat stays {stays} (the profile now says 30s)").And.NotContain("RabbitMQ.Client's own");
    }

    [Fact]
    public void UseKeepAlive_AgainOnTheSameFactoryThenAReloadDropsTheHeartbeat_TheWarningDoesNotTakeTheFirstCallsValueForYours()
    {
        // The value the first call set (20 s) is not yours: a reload dropping Heartbeat:Interval after UseKeepAlive again
        // must not say that a factory set up again would take 20 s.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Heartbeat:Interval", "20s"), new("KeepAlive:Profiles:orders:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var factory = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");
        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        factory.UseKeepAlive(profiles.Profiles, "orders");

        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = null;
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().Contain(m => m.Contains("ConnectionFactory.RequestedHeartbeat stays 30s (the profile now says nothing: RabbitMQ.Client's own)", StringComparison.Ordinal))
            .And.NotContain(m => m.Contains("the profile now says 20s", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_AgainOnTheSameFactoryAfterAReloadDroppedTheHeartbeat_TakesWhat3204Says(bool yoursByHand)
    {
        // 3204 said "ConnectionFactory.RequestedHeartbeat stays 20s (the profile now says nothing: RabbitMQ.Client's own)"
        // (or "now says 45s", yours); UseKeepAlive again on the same factory kept 20 s, the first call's value.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Heartbeat:Interval", "20s"), new("KeepAlive:Profiles:orders:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var factory = (yoursByHand ? new ConnectionFactory { RequestedHeartbeat = TimeSpan.FromSeconds(45) } : new ConnectionFactory()).UseKeepAlive(profiles.Profiles, "orders");
        var handSetWarnings = profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Count;

        configuration["KeepAlive:Profiles:orders:Heartbeat:Interval"] = null;
        configuration.Reload();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain($"ConnectionFactory.RequestedHeartbeat stays 20s (the profile now says {(yoursByHand ? "45s" : "nothing: RabbitMQ.Client's own")})");
        factory.UseKeepAlive(profiles.Profiles, "orders");

        factory.RequestedHeartbeat.Should().Be(yoursByHand ? TimeSpan.FromSeconds(45) : ConnectionFactory.DefaultHeartbeat, "the fix gives what the warning says the profile now says");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().HaveCount(handSetWarnings);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied)[^1].Should().Contain($"RequestedHeartbeat stays {(yoursByHand ? "45s" : "1m")} (Heartbeat:Interval is not set)");
    }

    [Fact]
    public void UseKeepAlive_ReloadTurnsTcpOffThenOn_YourSocketFactorysKeepAliveStaysThenTheNextSocketGetsTheProfile()
    {
        // Off by reload, SO_KEEPALIVE was switched off on the socket your SocketFactory had turned it on for; a profile off
        // at set-up left SocketFactory alone, so a reload turning it on never reached a socket, and no warning said so.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:orders:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:orders:Heartbeat:Interval", "60s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var factory = new ConnectionFactory { SocketFactory = YoursWithKeepAlive }.UseKeepAlive(profiles.Profiles, "orders");
        configuration["KeepAlive:Profiles:orders:Tcp:Enabled"] = "false";
        configuration.Reload();

        using (var client = factory.SocketFactory(AddressFamily.InterNetwork))
        {
            client.Client.GetKeepAlive().Enabled.Should().BeTrue("Tcp:Enabled false leaves the socket as your SocketFactory made it");
        }

        var offFromTheStart = new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");
        configuration["KeepAlive:Profiles:orders:Tcp:Enabled"] = "true";
        configuration.Reload();

        IdleOfTheNextSocket(offFromTheStart).Should().Be(TimeSpan.FromSeconds(7), "a reload that turns the Tcp section on reaches the next connection");
        profiles.Messages(KeepAliveEventIds.ClientConnectionTcpDisabled).Should().ContainSingle();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket");

        static ITcpClient YoursWithKeepAlive(AddressFamily family)
        {
            var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            return new TcpClientAdapter(socket);
        }
    }

    [Fact]
    public void UseKeepAlive_YourSocketFactoryReturnsAClientWithoutASocket_RefusedNamingTheFactoryAndTheFix()
    {
        // An ITcpClient whose Client is null threw a bare ArgumentNullException ("Value cannot be null. (Parameter 'key')").
        using var profiles = ClientProfiles.InCode("orders", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(30));
        var factory = new ConnectionFactory { SocketFactory = _ => DispatchProxy.Create<ITcpClient, NoSocketClient>() }.UseKeepAlive(profiles.Profiles, "orders");

        var create = () => factory.SocketFactory(AddressFamily.InterNetwork);

        create.Should().Throw<InvalidOperationException>().WithMessage(
            "ConnectionFactory.SocketFactory returned an ITcpClient (*) whose Client is null, so KeepAlive profile 'orders' has no socket to configure. Fix: *new TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp))*");
    }

    /// <summary>An <see cref="ITcpClient"/> whose every member returns null: its Client has no socket.</summary>
    public class NoSocketClient : DispatchProxy
    {
        /// <inheritdoc />
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => null;
    }

    [Fact]
    public void UseKeepAlive_TcpOffAndYourSocketFactory_TheLineSaysYourFactorysSocketsAreLeftAsItMakesThem()
    {
        // The line said "sockets keep RabbitMQ.Client's own settings (no keep-alive)" for the sockets of a SocketFactory of
        // yours, whatever keep-alive it gives them.
        using var profiles = ClientProfiles.InCode("orders", p => { p.Tcp.Enabled = false; p.Heartbeat.Interval = TimeSpan.FromSeconds(30); });

        new ConnectionFactory { SocketFactory = family => new TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp)) }.UseKeepAlive(profiles.Profiles, "orders");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp:Enabled is false: sockets are left as your ConnectionFactory.SocketFactory makes them until a reload turns it on")
            .And.NotContain("no keep-alive");
    }

    [Fact]
    public void UseKeepAlive_UnknownProfile_Throws()
    {
        using var profiles = ClientProfiles.InCode("orders", _ => { });

        var act = () => new ConnectionFactory().UseKeepAlive(profiles.Profiles, "billing");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'billing' is registered (registered: 'orders')*");
    }

    [Fact]
    public void UseKeepAlive_HeartbeatOverThePeerIdleBudget_Refused()
    {
        using var profiles = ClientProfiles.InCode("orders", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMinutes(1);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AwsAlb;
        });

        var act = () => new ConnectionFactory().UseKeepAlive(profiles.Profiles, "orders");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("Heartbeat:Interval: Interval is 1m, over the limit of 30s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseKeepAlive_RequestedHeartbeatSetByHandAfterwards_OneThatMissesThePeerGoesBackWithAWarningAndOneThatKeepsItIsTakenAsYours()
    {
        // RequestedHeartbeat set after UseKeepAlive won silently: 5m under a profile whose Heartbeat:PeerIdleTimeout (Azure's 4m)
        // allows at most 2m was requested, and nothing said the peer would drop the idle connection first. RabbitMQ.Client
        // reads it when the connection is created, after it asks for the endpoint resolver: no broker is needed to see it.
        using var profiles = ClientProfiles.InCode("orders", p => (p.Heartbeat.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(20), PeerIdleTimeout.AzureLoadBalancer));
        ConnectionFactory Factory() => new ConnectionFactory { HostName = "127.0.0.1", Port = Servers.FreeLoopbackPort(), AutomaticRecoveryEnabled = false }.UseKeepAlive(profiles.Profiles, "orders");
        var missing = Factory();
        missing.RequestedHeartbeat = TimeSpan.FromMinutes(5);

        await FluentActions.Awaiting(() => missing.CreateConnectionAsync(TestContext.Current.CancellationToken)).Should().ThrowAsync<global::RabbitMQ.Client.Exceptions.BrokerUnreachableException>("no broker listens there");

        missing.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(20), "the connection was created with the profile's heartbeat");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should().Be(
            "RabbitMQ.Client: ConnectionFactory.RequestedHeartbeat (after UseKeepAlive) was set by hand to 5m, but KeepAlive profile 'orders' sets Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m), so the profile's 20s (what UseKeepAlive left) wins. Fix: remove the hand-set ConnectionFactory.RequestedHeartbeat (after UseKeepAlive), or set it to at most 2m = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m) to keep your value.");

        var keeping = Factory();
        keeping.RequestedHeartbeat = TimeSpan.FromSeconds(90);
        foreach (var _ in Enumerable.Range(0, 2))
        {
            await FluentActions.Awaiting(() => keeping.CreateConnectionAsync(TestContext.Current.CancellationToken)).Should().ThrowAsync<global::RabbitMQ.Client.Exceptions.BrokerUnreachableException>();
        }

        keeping.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(90), "within the limit, yours is honoured");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle(m => m.Contains("after UseKeepAlive", StringComparison.Ordinal), "said once, at the first connection").Which.Should()
            .Contain("ConnectionFactory.RequestedHeartbeat (after UseKeepAlive) is set by hand to 1m30s, in place of the 20s UseKeepAlive left, and kept: yours");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("the one above");
    }

    [Fact]
    public async Task UseKeepAlive_RequestedHeartbeatSetAfterwardsThenCreateConnectionWithAnEndpointResolver_NotSeenAsDocumented()
    {
        // The limit CLIENTS.md and UseKeepAlive's remarks state: CreateConnectionAsync(IEndpointResolver, ...) does not ask
        // EndpointResolverFactory, where a RequestedHeartbeat set after UseKeepAlive is judged, and RabbitMQ.Client reads the
        // heartbeat before its SocketFactory (ours) runs: the 5m is requested and nothing says so. UseKeepAlive again takes it.
        using var profiles = ClientProfiles.InCode("orders", p => (p.Heartbeat.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(20), PeerIdleTimeout.AzureLoadBalancer));
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = Servers.FreeLoopbackPort(), AutomaticRecoveryEnabled = false }.UseKeepAlive(profiles.Profiles, "orders");
        factory.RequestedHeartbeat = TimeSpan.FromMinutes(5);
        Task<IConnection> Connect() => factory.CreateConnectionAsync(new DefaultEndpointResolver([new AmqpTcpEndpoint(factory.HostName, factory.Port)]), null, TestContext.Current.CancellationToken);

        await FluentActions.Awaiting(Connect).Should().ThrowAsync<global::RabbitMQ.Client.Exceptions.BrokerUnreachableException>("no broker listens there");

        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromMinutes(5), "this overload is not seen");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("this overload is not seen");
        await FluentActions.Awaiting(() => factory.CreateConnectionAsync(TestContext.Current.CancellationToken)).Should().ThrowAsync<global::RabbitMQ.Client.Exceptions.BrokerUnreachableException>();
        factory.RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(20), "the control: CreateConnectionAsync without a resolver sees it");
    }

    [Fact]
    public void UseKeepAlive_NoIntervalAndYourRequestedHeartbeatOverThePeerIdleBudget_RefusedWithYourValue()
    {
        // Kept where the profile sets no Heartbeat:Interval, a RequestedHeartbeat of 5m under a Heartbeat:PeerIdleTimeout that
        // allows at most 2m passed silently (start-up judges RabbitMQ.Client's own 1m, which suits).
        using var profiles = ClientProfiles.InCode("orders", p => p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer);
        var yours = new ConnectionFactory { RequestedHeartbeat = TimeSpan.FromMinutes(5) };

        var act = () => yours.UseKeepAlive(profiles.Profiles, "orders");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .Contain("Heartbeat:PeerIdleTimeout: Heartbeat:Interval is not set, so RabbitMQ.Client keeps ConnectionFactory.RequestedHeartbeat, set by hand to 5m, over the limit of 2m")
            .And.EndWith("Fix: set ConnectionFactory.RequestedHeartbeat to at most 2m, or set Heartbeat:Interval in the profile, which replaces it as ConnectionFactory.RequestedHeartbeat.");
        yours.SocketFactory.Target.Should().BeNull("a refused call installs no socket factory of ours");
    }

    [Fact]
    public void UseKeepAlive_FromTheServiceProvider_AppliesTheRegisteredProfile()
    {
        using var profiles = ClientProfiles.InCode("orders", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(15));

        new ConnectionFactory().UseKeepAlive(profiles.Services, "orders").RequestedHeartbeat.Should().Be(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task AddRabbitMQKeepAlive_NothingTheClientCanUse_HostStopsAtStartUpWithThePathAndTheFix()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("KeepAlive:Profiles:orders:Tcp:Enabled", "false")]);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")).AddRabbitMQKeepAlive("orders");
        using var host = builder.Build();

        var error = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .StartWith("KeepAlive:Profiles:orders:Tcp:Enabled: the profile sets nothing RabbitMQ.Client can use").And.Contain("Fix:");
    }

    [Fact]
    public async Task AddRabbitMQKeepAlive_NoIntervalAndAPeerIdleTimeoutUnderTheClientsOwnHeartbeat_HostStopsWithTheDefaultAndTheFix()
    {
        // The profile's 10 s default interval was judged (within 15 s of a 30 s peer), not RabbitMQ.Client's own 1m that it keeps:
        // the host started, and the peer's idle timeout would fire between two of the client's heartbeats.
        var error = await ClientProfiles.StartFailingAsync(
            static services => services.AddRabbitMQKeepAlive("orders"),
            ("KeepAlive:Profiles:orders:Tcp:IdleTime", "10s"), ("KeepAlive:Profiles:orders:Tcp:Interval", "5s"), ("KeepAlive:Profiles:orders:Heartbeat:PeerIdleTimeout", "30s"));

        error.Failures.Should().ContainSingle().Which.Should()
            .Be("KeepAlive:Profiles:orders:Heartbeat:Interval: Heartbeat:Interval is not set, so RabbitMQ.Client keeps its own ConnectionFactory.RequestedHeartbeat, 1m by default, over the limit of 15s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 30s: the peer would drop an idle connection before the client's heartbeat reaches it (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: set Heartbeat:Interval, which RabbitMQ.Client takes as ConnectionFactory.RequestedHeartbeat, to at most 15s (a value set by hand on the client is not seen here: set it in the profile).", "docs/CLIENTS.md quotes it");
    }

    [Fact]
    public void Client_DefaultHeartbeat_IsTheOneAConnectionFactoryRequestsUntold()
    {
        KeepAliveRabbitMQExtensions.Client.DefaultHeartbeatInterval.Should().Be(new ConnectionFactory().RequestedHeartbeat).And.Be(TimeSpan.FromSeconds(60));
    }

    private static TimeSpan? IdleOfTheNextSocket(ConnectionFactory factory)
    {
        using var client = factory.SocketFactory(AddressFamily.InterNetwork);
        return client.Client.GetKeepAlive().IdleTime;
    }

    [Fact]
    public void UseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheCallAndTheFix()
    {
        // It threw the container's bare "No service for type IKeepAliveProfiles has been registered".
        using var services = new ServiceCollection().BuildServiceProvider();

        var act = () => new ConnectionFactory().UseKeepAlive(services, "cache");

        act.Should().Throw<InvalidOperationException>().WithMessage("factory.UseKeepAlive(\"cache\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*");
    }
}

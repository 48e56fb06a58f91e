using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace KeepAlive.Net.StackExchangeRedis.Tests;

/// <summary>What UseKeepAlive sets on <see cref="ConfigurationOptions"/>, and the input it refuses (no server needed).</summary>
public sealed class RedisProfileMappingTests
{
    private static readonly EndPoint Server = new IPEndPoint(IPAddress.Loopback, 6379);

    [Fact]
    public void UseKeepAlive_ProfileSetsHeartbeatInterval_KeepAliveInWholeSecondsRoundedDown()
    {
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromMilliseconds(2500));

        var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        options.KeepAlive.Should().Be(2);
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("KeepAlive (PING when idle) every 2s from Heartbeat:Interval").And.Contain("rounded down to 2s");
    }

    [Fact]
    public void UseKeepAlive_ProfileLeavesIntervalUnset_YourKeepAliveStaysWithoutWarning()
    {
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Timeout = TimeSpan.FromSeconds(30));

        var options = new ConfigurationOptions { KeepAlive = 45 }.UseKeepAlive(profiles.Profiles, "cache");

        options.KeepAlive.Should().Be(45, "the profile's 10 s default must not replace a value the profile never set");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("KeepAlive stays 45s").And.Contain("Heartbeat:Timeout is not used: StackExchange.Redis has no heartbeat timeout");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void UseKeepAlive_ProfileLeavesIntervalUnsetAndYourKeepAliveIsNotPositive_SaysWhenStackExchangeRedisReallyPings(int keepAlive)
    {
        // StackExchange.Redis reads a KeepAlive of 0 or less as "60 s, or less when the server's timeout asks" (ServerEndPoint:
        // config.KeepAlive > 0 ? config.KeepAlive : 60, then CONFIG GET timeout); the line said "KeepAlive stays -1 s".
        using var profiles = ClientProfiles.InCode("cache", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(20));

        new ConfigurationOptions { KeepAlive = keepAlive }.UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain(System.FormattableString.Invariant($"KeepAlive stays {keepAlive}, which StackExchange.Redis reads as a PING after 1m idle, or sooner when the server's timeout setting"))
            .And.NotContain(System.FormattableString.Invariant($"KeepAlive stays {keepAlive} s"));
    }

    [Fact]
    public void UseKeepAlive_BeforeTheEndPointsAreAdded_TheDefaultsOfTheirServiceStillApply()
    {
        // StackExchange.Redis picks its defaults (ConfigurationOptions.Defaults) from the end points the first time they are
        // read, and keeps them: UseKeepAlive read KeepAlive and Defaults on options without end points, so an Azure Cache
        // for Redis end point added afterwards got the generic defaults (AbortOnConnectFail true instead of Azure's false).
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));
        var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        options.EndPoints.Add("contoso.redis.cache.windows.net", 6380);

        options.Defaults.Should().BeOfType<StackExchange.Redis.Configuration.AzureOptionsProvider>();
        options.AbortOnConnectFail.Should().BeFalse("Azure's default, as without UseKeepAlive");
        options.KeepAlive.Should().Be(20);
    }

    [Fact]
    public void UseKeepAlive_DefaultsOfYoursWithTheirOwnKeepAlive_TheProfileReplacesThemWithoutCallingThemHandSet()
    {
        // ConfigurationOptions.Defaults set to a DefaultOptionsProvider of yours whose KeepAliveInterval is 2m5s: nothing was set
        // by hand, yet warning 3202 said "ConfigurationOptions.KeepAlive was set by hand to 2m5s" (judged against the generic
        // provider's 60 s, not the options' own defaults).
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var options = new ConfigurationOptions { EndPoints = { Server }, Defaults = new SlowPingDefaults() }.UseKeepAlive(profiles.Profiles, "cache");
        var handSet = new ConfigurationOptions { EndPoints = { Server }, Defaults = new SlowPingDefaults(), KeepAlive = 45 }.UseKeepAlive(profiles.Profiles, "cache");

        options.KeepAlive.Should().Be(20);
        handSet.KeepAlive.Should().Be(20);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("only the KeepAlive of 45s was set by hand").Which.Should()
            .StartWith("StackExchange.Redis: ConfigurationOptions.KeepAlive was set by hand to 45s");
    }

    [Fact]
    public void UseKeepAlive_DefaultsOfYoursAndAReloadSettingAHeartbeat_TheWarningSaysTheirKeepAlive()
    {
        // The KeepAlive the options keep where the profile sets none is their provider's 2m5s, not StackExchange.Redis's own 60 s.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions { EndPoints = { Server }, Defaults = new SlowPingDefaults() }.UseKeepAlive(profiles.Profiles, "cache");

        configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        options.KeepAlive.Should().Be(125);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should().Contain("ConfigurationOptions.KeepAlive stays 2m5s (the profile now says 30s)");
    }

    [Fact]
    public void UseKeepAlive_HandSetKeepAliveConflicts_ProfileWinsAndWarns()
    {
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));

        var options = new ConfigurationOptions { KeepAlive = 45 }.UseKeepAlive(profiles.Profiles, "cache");

        options.KeepAlive.Should().Be(20);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .Be("StackExchange.Redis: ConfigurationOptions.KeepAlive was set by hand to 45s, but KeepAlive profile 'cache' sets Heartbeat:Interval, so the profile's 20s wins. Fix: remove the hand-set ConfigurationOptions.KeepAlive, or remove Heartbeat:Interval from the profile to keep your value.");
    }

    [Fact]
    public void UseKeepAlive_HandSetKeepAliveAndHeartbeatIntervalWithAProfileWhoseTcpIsOff_TheWarningsFixIsOneThatKeepsYourValues()
    {
        // Both warnings said "or remove Heartbeat:Interval from the profile to keep your value"; with Tcp:Enabled false that,
        // done literally, leaves a profile that sets nothing StackExchange.Redis can use, which UseKeepAlive refuses.
        using var profiles = ClientProfiles.InCode("cache", p => (p.Tcp.Enabled, p.Heartbeat.Interval) = (false, TimeSpan.FromSeconds(20)));
        ConfigurationOptions Yours() => new() { EndPoints = { Server }, KeepAlive = 45, HeartbeatInterval = TimeSpan.FromSeconds(30) };

        Yours().UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().HaveCount(2).And.OnlyContain(m => m.EndsWith(
            ", or apply no KeepAlive profile to this client (with Tcp:Enabled false, Heartbeat:Interval is all profile 'cache' sets for it: without it the profile sets nothing StackExchange.Redis can use, which is refused at start-up) to keep your value.",
            StringComparison.Ordinal));
        using var withoutTheInterval = ClientProfiles.InCode("cache", p => p.Tcp.Enabled = false);
        var removed = () => Yours().UseKeepAlive(withoutTheInterval.Profiles, "cache");
        removed.Should().Throw<OptionsValidationException>("the fix it gave before, followed").Which.Message.Should().Contain("the profile sets nothing StackExchange.Redis can use");
        var followed = Yours();
        (followed.KeepAlive, followed.HeartbeatInterval).Should().Be((45, TimeSpan.FromSeconds(30)), "with no profile applied, your values stay");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UseKeepAlive_HandSetTcpKeepAliveOff_ProfileTurnsItOnAndWarns(bool withEndPoints)
    {
        // TcpKeepAlive = false asks StackExchange.Redis for sockets without SO_KEEPALIVE; the profile's Tcp section turned it
        // on on every socket, and nothing said so.
        using var profiles = ClientProfiles.InCode("cache", NatProfiles.ReadBack);
        var options = new ConfigurationOptions { TcpKeepAlive = false };
        if (withEndPoints)
        {
            options.EndPoints.Add(Server);
        }

        options.UseKeepAlive(profiles.Profiles, "cache").UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("the same profile again is applied as once").Which.Should()
            .Be("StackExchange.Redis: ConfigurationOptions.TcpKeepAlive was set by hand to false, but KeepAlive profile 'cache' sets Tcp:Enabled, so the profile's true wins. Fix: remove the hand-set ConfigurationOptions.TcpKeepAlive, or set Tcp:Enabled to false and Heartbeat:Interval (for ConfigurationOptions.KeepAlive) in the profile (the profile sets nothing StackExchange.Redis can use with Tcp:Enabled false alone, which is refused at start-up) to keep your value.");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Connected(options, socket);
        socket.GetKeepAlive().Enabled.Should().BeTrue("the profile wins, as the warning says");
    }

    [Fact]
    public void UseKeepAlive_OnlyUnixSocketEndPoints_TheLineSaysTheTcpSectionIsNotApplied()
    {
        // The line said "Tcp on every socket once connected" where no socket has TCP (each connection logs 3203).
        using var profiles = ClientProfiles.InCode("cache", NatProfiles.ReadBack);

        new ConfigurationOptions { EndPoints = { new UnixDomainSocketEndPoint("/var/run/redis.sock") } }.UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .NotContain("Tcp on every socket").And.Contain("every end point is a Unix domain socket, which has no TCP keep-alive: the Tcp section is not applied");
    }

    [Fact]
    public void UseKeepAlive_HandSetTcpKeepAliveOffOnAUnixSocket_NoWarningAsNothingIsApplied()
    {
        using var profiles = ClientProfiles.InCode("cache", NatProfiles.ReadBack);

        new ConfigurationOptions { EndPoints = { new UnixDomainSocketEndPoint("/var/run/redis.sock") }, TcpKeepAlive = false }.UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("a Unix domain socket has no TCP keep-alive for the profile to turn on (event 3203)");
    }

    [Fact]
    public void UseKeepAlive_HandSetTcpKeepAliveOffAndTheProfilesTcpOff_KeptWithoutWarning()
    {
        using var profiles = ClientProfiles.InCode("cache", p => { p.Tcp.Enabled = false; p.Heartbeat.Interval = TimeSpan.FromSeconds(20); });

        var options = new ConfigurationOptions { EndPoints = { Server }, TcpKeepAlive = false }.UseKeepAlive(profiles.Profiles, "cache");

        options.TcpKeepAlive.Should().BeFalse();
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
    }

    [Fact]
    public void UseKeepAlive_TcpKeepAliveOffAndTheProfilesTcpOff_TheLineSaysTheSocketsHaveNoKeepAlive()
    {
        // The line said "sockets keep StackExchange.Redis's own keep-alive (SO_KEEPALIVE with the kernel's times)" for sockets
        // that StackExchange.Redis opens without SO_KEEPALIVE.
        using var profiles = ClientProfiles.InCode("cache", p => { p.Tcp.Enabled = false; p.Heartbeat.Interval = TimeSpan.FromSeconds(20); });

        new ConfigurationOptions { EndPoints = { Server }, TcpKeepAlive = false }.UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("Tcp:Enabled is false: sockets keep StackExchange.Redis's own settings, without keep-alive (ConfigurationOptions.TcpKeepAlive is false), until a reload turns it on")
            .And.NotContain("SO_KEEPALIVE with the kernel's times");
    }

    [Fact]
    public void UseKeepAlive_YourBeforeSocketConnect_KeptAndTheProfileWinsOnTheConnectedSocket()
    {
        using var profiles = ClientProfiles.InCode("cache", NatProfiles.ReadBack);
        var yoursRan = 0;
        var options = new ConfigurationOptions
        {
            BeforeSocketConnect = (_, _, socket) =>
            {
                yoursRan++;
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 600);
            },
        }.UseKeepAlive(profiles.Profiles, "cache").UseKeepAlive(profiles.Profiles, "cache");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        options.Tunnel!.GetSocketConnectEndpointAsync(Server, CancellationToken.None).AsTask().IsCompletedSuccessfully.Should().BeTrue(); // StackExchange.Redis: the tunnel says where to connect
        options.BeforeSocketConnect!(Server, ConnectionType.Interactive, socket); // yours, before the connect
        Connected(options, socket); // then the tunnel, once connected

        yoursRan.Should().Be(1, "yours is wrapped once, however often UseKeepAlive runs");
        socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "the profile is applied after your callback");
        profiles.Messages(KeepAliveEventIds.ClientSocketHookReplaced).Should().BeEmpty("the connection went through the tunnel UseKeepAlive installed");
    }

    [Fact]
    public async Task UseKeepAlive_YourTunnel_WrappedAndStillDecidesWhereAndHowToConnect()
    {
        using var profiles = ClientProfiles.InCode("cache", NatProfiles.ReadBack);
        var yours = new CountingTunnel();
        var options = new ConfigurationOptions { Tunnel = yours }.UseKeepAlive(profiles.Profiles, "cache");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        var endpoint = await options.Tunnel!.GetSocketConnectEndpointAsync(Server, TestContext.Current.CancellationToken);
        await options.Tunnel.BeforeSocketConnectAsync(Server, ConnectionType.Interactive, socket, TestContext.Current.CancellationToken);
        var stream = await options.Tunnel.BeforeAuthenticateAsync(Server, ConnectionType.Interactive, socket, TestContext.Current.CancellationToken);

        endpoint.Should().Be(CountingTunnel.Proxy, "your tunnel says where to connect");
        stream.Should().BeSameAs(CountingTunnel.Stream, "your tunnel's stream carries the connection");
        yours.Calls.Should().Equal("endpoint", "before connect", "before authenticate");
        socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("wrapping your own tunnel");
    }

    [Fact]
    public void UseKeepAlive_YourProxyTunnelFromTheConfigurationString_TheLineSaysToStringNoLongerShowsItAndHowToCopy()
    {
        // StackExchange.Redis writes a tunnel into ConfigurationOptions.ToString() only when it is its own (tunnel=http:...):
        // once UseKeepAlive wrapped it, the proxy was gone from the string (and from multiplexer.Configuration) without a
        // word, and a copy parsed from that string connected straight to the server, without the proxy and the profile.
        using var profiles = ClientProfiles.InCode("cache", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(7));
        var options = ConfigurationOptions.Parse("127.0.0.1:6379,tunnel=http:127.0.0.1:3128").UseKeepAlive(profiles.Profiles, "cache");

        var copied = ConfigurationOptions.Parse(options.ToString());

        copied.Tunnel.Should().BeNull("the limitation said: StackExchange.Redis writes only its own tunnel into the string");
        options.Clone().Tunnel.Should().BeSameAs(options.Tunnel, "Clone, which the line names, keeps the proxy and the profile");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain(
            "wrapping your own tunnel (tunnel=http:127.0.0.1:3128, which ConfigurationOptions.ToString() no longer shows: StackExchange.Redis writes only its own tunnel there, "
            + "so options parsed from that string connect without your proxy and without the profile; copy them with ConfigurationOptions.Clone())");
    }

    [Fact]
    public void UseKeepAlive_TwiceWithTheSameProfile_EachSocketConfiguredOnceWithoutAFalseWarning_AnotherProfileRefused()
    {
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("cache", p => { p.Tcp.IdleTime = TimeSpan.FromSeconds(7); p.Heartbeat.Interval = TimeSpan.FromSeconds(20); })
            .AddKeepAlive("other", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(9)));
        var yours = new CountingTunnel();
        var options = new ConfigurationOptions { Tunnel = yours }
            .UseKeepAlive(profiles.Profiles, "cache").UseKeepAlive(profiles.Profiles, "Cache");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        Connected(options, socket);
        var another = () => options.UseKeepAlive(profiles.Profiles, "other");

        yours.Calls.Should().Equal(["before authenticate"], "your tunnel is wrapped once, not once per call");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the socket is configured once");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the first call's KeepAlive is not a value set by hand");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().OnlyContain(m => m.Contains("wrapping your own tunnel", StringComparison.Ordinal));
        another.Should().Throw<InvalidOperationException>().WithMessage("ConfigurationOptions.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'cache'*Fix: call UseKeepAlive once per options object*");
        options.KeepAlive.Should().Be(20);
    }

    [Fact]
    public void UseKeepAlive_AgainAfterATunnelWasSetOnTop_ThatTunnelIsKeptAndEachSocketConfiguredOnce()
    {
        // LoggingTunnel.LogToDirectory(options, ...) after UseKeepAlive wraps the keep-alive tunnel; UseKeepAlive again with
        // the same profile put a new keep-alive tunnel around the tunnel from before the first call, dropping the logging one.
        using var profiles = ClientProfiles.InCode("cache", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(7));
        var yours = new CountingTunnel();
        var options = new ConfigurationOptions { Tunnel = yours }.UseKeepAlive(profiles.Profiles, "cache");
        var logging = new WrappingTunnel(options.Tunnel!);
        options.Tunnel = logging; // as LoggingTunnel.LogToDirectory does
        options.UseKeepAlive(profiles.Profiles, "cache");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        Connected(options, socket);

        logging.Calls.Should().Be(1, "the tunnel set after the first call is wrapped, not dropped");
        yours.Calls.Should().Equal(["before authenticate"], "your tunnel is still reached, once");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the socket is configured once");
        socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void UseKeepAlive_OnACloneOfOptionsThatTakeAProfile_TheSameOneIsAppliedOnce_AnotherRefused()
    {
        // ConfigurationOptions.Clone copies the Tunnel: UseKeepAlive on the clone wrapped the first profile's tunnel as if it
        // were yours, so with the same profile each socket was configured twice, and another profile was accepted while
        // the first one's tunnel, running last, left its values on every socket (idle 7 s where the log said 'other').
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("cache", p => { p.Tcp.IdleTime = TimeSpan.FromSeconds(7); p.Heartbeat.Interval = TimeSpan.FromSeconds(20); })
            .AddKeepAlive("other", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(9)));
        var yours = new CountingTunnel();
        var options = new ConfigurationOptions { Tunnel = yours }.UseKeepAlive(profiles.Profiles, "cache");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        var another = () => options.Clone().UseKeepAlive(profiles.Profiles, "other");
        var same = options.Clone().UseKeepAlive(profiles.Profiles, "cache");
        Connected(same, socket);

        another.Should().Throw<InvalidOperationException>().WithMessage("ConfigurationOptions.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'cache'*");
        yours.Calls.Should().Equal(["before authenticate"], "your tunnel is wrapped once");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle("the socket is configured once");
        socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
    }

    [Fact]
    public void UseKeepAlive_ProfileSetsATimeout_TheLineSaysAHungServerIsFoundOnlyByCommandsTimingOut()
    {
        // The line said a dead connection is found "by TCP_USER_TIMEOUT once a PING is unanswered": a hung server's kernel
        // acknowledges the PING, and the connection stays up (RedisReconnectionTests.UseKeepAlive_ServerGoesSilent_OnlyACommandTimingOutTellsNotTheProfilesKeepAliveOrUserTimeout).
        using var profiles = ClientProfiles.InCode("cache", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(2);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(5);
        });

        new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should()
            .Contain("TCP_USER_TIMEOUT once a PING goes unacknowledged (the server's host is gone)")
            .And.Contain("a server that hangs while its kernel still acknowledges TCP is found only by commands timing out")
            .And.NotContain("once a PING is unanswered");
    }

    [Fact]
    public void UseKeepAlive_OnACloneMadeAfterLoggingTunnelWrappedOurs_TakesTheProfileItWasMadeWith()
    {
        // LoggingTunnel.LogToDirectory wraps the keep-alive tunnel, and a clone made then carries the LoggingTunnel: UseKeepAlive
        // on it did not see the profile inside, so another profile was accepted, and its tunnel, running first, left its
        // values on every socket (idle 9 s, 'other') where the options it was made from take 'cache' (7 s).
        using var profiles = ClientProfiles.Build(s => s
            .AddKeepAlive("cache", p => { p.Tcp.IdleTime = TimeSpan.FromSeconds(7); p.Heartbeat.Interval = TimeSpan.FromSeconds(20); })
            .AddKeepAlive("other", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(9)));
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");
#pragma warning disable CS0618 // experimental in StackExchange.Redis: the very call a user makes to log the traffic
            StackExchange.Redis.Configuration.LoggingTunnel.LogToDirectory(options, directory.FullName);
#pragma warning restore CS0618

            var another = () => options.Clone().UseKeepAlive(profiles.Profiles, "other");
            var same = options.Clone().UseKeepAlive(profiles.Profiles, "cache");

            another.Should().Throw<InvalidOperationException>().WithMessage("ConfigurationOptions.UseKeepAlive(\"other\"): these options already take KeepAlive profile 'cache'*");
            same.Tunnel.Should().NotBeNull();
            profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the clone carries the KeepAlive the first call set");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void UseKeepAlive_ProfileReloaded_TheNextSocketGetsTheNewValuesAndABadReloadKeepsTheLastGoodOnes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        IdleOfTheNextSocket(options).Should().Be(TimeSpan.FromSeconds(7));
        configuration["KeepAlive:Profiles:cache:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        IdleOfTheNextSocket(options).Should().Be(TimeSpan.FromSeconds(9), "a reconnection after the reload gets the new values");
        configuration["KeepAlive:Profiles:cache:Tcp:IdleTime"] = "-1s";
        configuration.Reload();
        IdleOfTheNextSocket(options).Should().Be(TimeSpan.FromSeconds(9), "a bad reload keeps the last good values");
        profiles.Messages(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle();
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket");

        configuration["KeepAlive:Profiles:cache:Tcp:IdleTime"] = "9s";
        configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        options.KeepAlive.Should().Be(60, "ConfigurationOptions.KeepAlive is set once, when UseKeepAlive runs");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("ConfigurationOptions.KeepAlive stays StackExchange.Redis's own (the profile now says 30s)").And.Contain("Fix: connect a new ConnectionMultiplexer");
    }

    [Fact]
    public void UseKeepAlive_ReloadSetsAHeartbeatWhereYourKeepAliveStays_TheWarningSaysYourValue()
    {
        // The options keep your KeepAlive (45 s) where the profile sets no Heartbeat:Interval: a reload setting one warned
        // "ConfigurationOptions.KeepAlive stays StackExchange.Redis's own", which is 60 s.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        new ConfigurationOptions { KeepAlive = 45 }.UseKeepAlive(profiles.Profiles, "cache");

        configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle().Which.Should()
            .Contain("ConfigurationOptions.KeepAlive stays 45s (the profile now says 30s)").And.NotContain("StackExchange.Redis's own");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_AgainOnTheSameOptionsOrACloneAfterAReload_TakesTheNewIntervalWithoutCallingTheFirstCallsValueHandSet(bool clone)
    {
        // Warning 3204's fix is to connect again with UseKeepAlive; on the same options (or a clone, which carries the value),
        // the value the first call set was reported as set by hand (3202 "ConfigurationOptions.KeepAlive was set by hand to 20 s").
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        var again = (clone ? options.Clone() : options).UseKeepAlive(profiles.Profiles, "cache");

        again.KeepAlive.Should().Be(30);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the first call set 20 s, not you");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_OnOptionsParsedFromTheStringOfOptionsThatTakeAProfile_NoFalseHandSetWarning(bool reloaded)
    {
        // ConfigurationOptions.Parse(options.ToString()), the way StackExchange.Redis users copy options, carries the KeepAlive
        // UseKeepAlive wrote (keepAlive=20 in the string) but not our tunnel: UseKeepAlive on the copy after a reload to 30 s
        // warned 3202 "ConfigurationOptions.KeepAlive was set by hand to 20s", a value the profile set, not you.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions { EndPoints = { Server } }.UseKeepAlive(profiles.Profiles, "cache");
        if (reloaded)
        {
            configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
            configuration.Reload();
        }

        var parsed = ConfigurationOptions.Parse(options.ToString()).UseKeepAlive(profiles.Profiles, "cache");

        parsed.KeepAlive.Should().Be(reloaded ? 30 : 20);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty("the copy's 20 s is what the profile set, not a value set by hand");
        var handSet = new ConfigurationOptions { EndPoints = { Server }, KeepAlive = 45 }.UseKeepAlive(profiles.Profiles, "cache");
        handSet.KeepAlive.Should().Be(reloaded ? 30 : 20);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("a value the profile never set is still yours").Which.Should().Contain("set by hand to 45s");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UseKeepAlive_AgainOnTheSameOptionsOrACloneAfterAReloadDroppingTheInterval_YourKeepAliveAndHeartbeatIntervalComeBack(bool clone)
    {
        // Warning 3204 said "ConfigurationOptions.KeepAlive stays 20s (the profile now says nothing: StackExchange.Redis's
        // own)"; its fix, followed on the same options (or a copy), kept the first call's 20 s and the HeartbeatInterval it
        // had put back (1s), where options you set up anew with UseKeepAlive have your 45 s and 30 s.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        static ConfigurationOptions Yours() => new() { EndPoints = { Server }, KeepAlive = 45, HeartbeatInterval = TimeSpan.FromSeconds(30) };
        var first = Yours().UseKeepAlive(profiles.Profiles, "cache");
        var options = clone ? first.Clone() : first;

        configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = null;
        configuration.Reload();
        options.UseKeepAlive(profiles.Profiles, "cache");

        (options.KeepAlive, options.HeartbeatInterval).Should().Be((45, TimeSpan.FromSeconds(30)), "the reloaded profile sets neither, so yours stay");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied)[^1].Should().Contain("KeepAlive stays 45s");
        var anew = Yours().UseKeepAlive(profiles.Profiles, "cache");
        (options.KeepAlive, options.HeartbeatInterval).Should().Be((anew.KeepAlive, anew.HeartbeatInterval));
    }

    [Fact]
    public void UseKeepAlive_ReloadTurnsTcpOffThenOn_TheNextSocketKeepsStackExchangeRedisOwnKeepAliveThenGetsTheProfile()
    {
        // Off by reload, the tunnel switched SO_KEEPALIVE off on every reconnection (StackExchange.Redis turns it on), where a
        // profile that was off from the start leaves it on; a profile off at set-up installed no tunnel, so a reload turning
        // it on never reached a socket, and no warning said so.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s"), new("KeepAlive:Profiles:cache:Heartbeat:Interval", "60s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");
        configuration["KeepAlive:Profiles:cache:Tcp:Enabled"] = "false";
        configuration.Reload();

        KeepAliveOfTheNextSocket(options).Should().BeTrue("Tcp:Enabled false keeps StackExchange.Redis's own keep-alive (SO_KEEPALIVE on)");
        profiles.Messages(KeepAliveEventIds.ClientConnectionTcpDisabled).Should().ContainSingle().Which.Should().Contain("Tcp:Enabled false");

        var offFromTheStart = new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");
        configuration["KeepAlive:Profiles:cache:Tcp:Enabled"] = "true";
        configuration.Reload();

        offFromTheStart.Tunnel.Should().NotBeNull("a reload that turns the Tcp section on must reach the next connection");
        IdleOfTheNextSocket(offFromTheStart).Should().Be(TimeSpan.FromSeconds(7));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the Tcp section reaches every new socket");
    }

    [Fact]
    public void UseKeepAlive_UnknownProfile_Throws()
    {
        using var profiles = ClientProfiles.InCode("cache", _ => { });

        var act = () => new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "sessions");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'sessions' is registered (registered: 'cache')*");
    }

    [Fact]
    public void UseKeepAlive_HeartbeatOverThePeerIdleBudget_Refused()
    {
        using var profiles = ClientProfiles.InCode("cache", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMinutes(3);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer;
        });

        var act = () => new ConfigurationOptions().UseKeepAlive(profiles.Profiles, "cache");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.Contains("Heartbeat:Interval: Interval is 3m, over the limit of 2m", StringComparison.Ordinal));
    }

    [Fact]
    public void UseKeepAlive_NoIntervalAndAPeerIdleTimeoutUnderTheClientsOwnKeepAlive_Refused()
    {
        // The profile's 10 s default was judged, not the 60 s PING StackExchange.Redis keeps without Heartbeat:Interval.
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AwsAlb);

        var act = () => new ConfigurationOptions { EndPoints = { Server } }.UseKeepAlive(profiles.Profiles, "cache");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .Contain("Heartbeat:Interval: Heartbeat:Interval is not set, so StackExchange.Redis keeps its own ConfigurationOptions.KeepAlive, 1m by default, over the limit of 30s").And.EndWith("Fix: set Heartbeat:Interval, which StackExchange.Redis takes as ConfigurationOptions.KeepAlive, to at most 30s (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Fact]
    public void UseKeepAlive_NoIntervalAndYourKeepAliveOverThePeerIdleBudget_RefusedWithYourValue()
    {
        // Kept where the profile sets no Heartbeat:Interval, a KeepAlive of 5m under a Heartbeat:PeerIdleTimeout that allows at
        // most 2m passed silently (start-up judges StackExchange.Redis's own 1m, which suits).
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AzureLoadBalancer);

        var act = () => new ConfigurationOptions { EndPoints = { Server }, KeepAlive = 300 }.UseKeepAlive(profiles.Profiles, "cache");

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .Contain("Heartbeat:PeerIdleTimeout: Heartbeat:Interval is not set, so StackExchange.Redis keeps ConfigurationOptions.KeepAlive, set by hand to 5m, over the limit of 2m")
            .And.EndWith("Fix: set ConfigurationOptions.KeepAlive to at most 2m, or set Heartbeat:Interval in the profile, which replaces it as ConfigurationOptions.KeepAlive.");
        new ConfigurationOptions { EndPoints = { Server }, KeepAlive = 90 }.UseKeepAlive(profiles.Profiles, "cache").KeepAlive.Should().Be(90, "one within the limit is yours");
    }

    [Fact]
    public void Client_DefaultHeartbeat_IsTheKeepAliveOfNewOptions()
    {
        var untold = new ConfigurationOptions { EndPoints = { Server } };

        KeepAliveRedisExtensions.Client.DefaultHeartbeatInterval.Should().Be(TimeSpan.FromSeconds(untold.KeepAlive)).And.Be(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void UseKeepAlive_FromTheServiceProvider_AppliesTheRegisteredProfile()
    {
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(15));

        new ConfigurationOptions().UseKeepAlive(profiles.Services, "cache").KeepAlive.Should().Be(15);
    }

    [Fact]
    public async Task AddRedisKeepAlive_SubSecondHeartbeatInTheFile_HostStopsAtStartUpWithThePathAndTheFix()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("KeepAlive:Profiles:cache:Heartbeat:Interval", "500ms")]);
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")).AddRedisKeepAlive("cache");
        using var host = builder.Build();

        var error = await Record.ExceptionAsync(() => host.StartAsync(TestContext.Current.CancellationToken));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .StartWith("KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is 500ms, but StackExchange.Redis counts ConfigurationOptions.KeepAlive in whole seconds").And.Contain("Fix:");
    }

    private static TimeSpan? IdleOfTheNextSocket(ConfigurationOptions options)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Connected(options, socket);
        return socket.GetKeepAlive().IdleTime;
    }

    private static bool KeepAliveOfTheNextSocket(ConfigurationOptions options)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, options.TcpKeepAlive); // as StackExchange.Redis does
        Connected(options, socket);
        return socket.GetKeepAlive().Enabled;
    }

    // What StackExchange.Redis does once a socket has connected, before it sends a byte.
    private static void Connected(ConfigurationOptions options, Socket socket) =>
        options.Tunnel!.BeforeAuthenticateAsync(Server, ConnectionType.Interactive, socket, CancellationToken.None).AsTask().IsCompleted.Should().BeTrue("it configures the socket synchronously");

    // Forwards everything to the tunnel it wraps, as StackExchange.Redis's LoggingTunnel does.
    /// <summary>Defaults of yours that PING after 2m5s idle rather than StackExchange.Redis's 60 s.</summary>
    private sealed class SlowPingDefaults : StackExchange.Redis.Configuration.DefaultOptionsProvider
    {
        public override TimeSpan KeepAliveInterval => TimeSpan.FromSeconds(125);
    }

    private sealed class WrappingTunnel(StackExchange.Redis.Configuration.Tunnel tail) : StackExchange.Redis.Configuration.Tunnel
    {
        public int Calls { get; private set; }

        public override ValueTask<Stream?> BeforeAuthenticateAsync(EndPoint endpoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken)
        {
            Calls++;
            return tail.BeforeAuthenticateAsync(endpoint, connectionType, socket, cancellationToken);
        }
    }

    private sealed class CountingTunnel : StackExchange.Redis.Configuration.Tunnel
    {
        public static readonly EndPoint Proxy = new IPEndPoint(IPAddress.Loopback, 3128);
        public static readonly Stream Stream = new MemoryStream();

        public List<string> Calls { get; } = [];

        public override ValueTask<EndPoint?> GetSocketConnectEndpointAsync(EndPoint endpoint, CancellationToken cancellationToken)
        {
            Calls.Add("endpoint");
            return new(Proxy);
        }

        public override ValueTask BeforeSocketConnectAsync(EndPoint endPoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken)
        {
            Calls.Add("before connect");
            return default;
        }

        public override ValueTask<Stream?> BeforeAuthenticateAsync(EndPoint endpoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken)
        {
            Calls.Add("before authenticate");
            return new(Stream);
        }
    }

    [Fact]
    public void UseKeepAlive_ServicesWithoutAddKeepAlive_RefusedWithTheCallAndTheFix()
    {
        // It threw the container's bare "No service for type IKeepAliveProfiles has been registered".
        using var services = new ServiceCollection().BuildServiceProvider();

        var act = () => new ConfigurationOptions().UseKeepAlive(services, "cache");

        act.Should().Throw<InvalidOperationException>().WithMessage("options.UseKeepAlive(\"cache\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(*");
    }
}

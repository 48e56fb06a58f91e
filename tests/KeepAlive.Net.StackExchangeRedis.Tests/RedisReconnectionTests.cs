using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace KeepAlive.Net.StackExchangeRedis.Tests;

/// <summary>
/// A real redis-server on this host's loopback: StackExchange.Redis reconnects from its own threads, which are outside the
/// lab's client namespace, so the reconnection is proven here, on the host; and a server that goes silent (SIGSTOP), whose
/// kernel still acknowledges TCP, keep-alive probes and StackExchange.Redis's PING included.
/// </summary>
public sealed class RedisReconnectionTests
{
    [Fact]
    public async Task UseKeepAlive_ConnectionLostAfterAReload_TheReconnectionSocketsCarryTheReloadedProfile()
    {
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions { EndPoints = { server.EndPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        var before = ClientSockets.Snapshot(server.EndPoint);
        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        await redis.GetDatabase().PingAsync();
        var first = ClientSockets.NewSince(server.EndPoint, before);
        first.Should().NotBeEmpty().And.OnlyContain(s => s.View.GetKeepAlive().IdleTime == TimeSpan.FromSeconds(7));

        configuration["KeepAlive:Profiles:cache:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        var beforeReconnect = ClientSockets.Snapshot(server.EndPoint);
        foreach (var socket in first)
        {
            // Only while its descriptor still holds that socket: one the client closed itself is being reconnected anyway.
            ClientSockets.TryShutdown(socket);
        }

        var reconnected = await WaitForAsync(() => ClientSockets.NewSince(server.EndPoint, beforeReconnect) is { } again && again.Count == first.Count && redis.IsConnected ? again : null);
        await redis.GetDatabase().PingAsync();

        reconnected.Should().OnlyContain(s => s.View.GetKeepAlive().IdleTime == TimeSpan.FromSeconds(9), "BeforeSocketConnect applies the profile's current values to every reconnection");
    }

    [Fact]
    public async Task UseKeepAlive_ServerRestarted_TheReconnectionSocketsCarryTheProfileAndThePingKeepsItsInterval()
    {
        // A real restart (the process ends, its port refuses for a while, a new redis-server answers), not a socket shut
        // under the client: StackExchange.Redis's reconnection must open every socket through the profile's tunnel, and
        // its PING must keep the profile's interval on the new connections.
        using var profiles = ClientProfiles.InCode("cache", profile =>
        {
            NatProfiles.ReadBack(profile);
            profile.Heartbeat.Interval = TimeSpan.FromSeconds(1);
        });
        var port = Servers.FreeLoopbackPort();
        var first = Servers.Redis(netns: null, IPAddress.Loopback, port);
        var endPoint = first.EndPoint;
        var options = new ConfigurationOptions { EndPoints = { endPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        ConnectionMultiplexer redis;
        IReadOnlyList<ClientSockets.Found> before;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(options);
            await redis.GetDatabase().PingAsync();
            before = ClientSockets.NewSince(endPoint, []);
            before.Should().NotBeEmpty();
        }
        finally
        {
            first.Dispose();
        }

        using var _ = redis;
        using var second = Servers.Redis(netns: null, IPAddress.Loopback, port);
        var reconnected = await WaitForAsync(() => ClientSockets.NewSince(endPoint, [.. before.Select(static s => s.Inode)]) is { } again && again.Count == before.Count && redis.IsConnected ? again : null);
        await redis.GetDatabase().PingAsync();
        await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);

        foreach (var socket in reconnected)
        {
            NatProfiles.ShouldCarryReadBack(socket.View.GetKeepAlive());
        }

        var (idle, clients) = await PingIdleAsync(endPoint);
        idle.Should().NotBeEmpty(clients).And.OnlyContain(s => s <= 4, $"the reconnected multiplexer still PINGs every second, as the profile says ({clients})");
        ClientSockets.NewSince(endPoint, []).Should().HaveCount(before.Count, "the reconnection replaced each socket once; the attempts refused while the server was down left none open");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle("the reconnection applies nothing again: the tunnel does it per socket");
        profiles.Messages(KeepAliveEventIds.ClientSocketHookReplaced).Should().BeEmpty("every socket went through the profile's tunnel");
    }

    [Fact]
    public async Task UseKeepAlive_ServerNameWhoseFirstAddressRefuses_ConnectsThroughTheNextAddressConfigured()
    {
        // ::1 first, where nothing listens, then 127.0.0.1: StackExchange.Redis connects its socket to the name, and .NET tries
        // the next address only if no option it does not track (TCP_USER_TIMEOUT) was set before the connect.
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var name = new HostsFileEntry(IPAddress.IPv6Loopback, IPAddress.Loopback);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var options = new ConfigurationOptions { EndPoints = { { name.Name, server.EndPoint.Port } }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        var before = ClientSockets.Snapshot(server.EndPoint);

        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        await redis.GetDatabase().PingAsync();

        ClientSockets.NewSince(server.EndPoint, before).Should().NotBeEmpty().And.OnlyContain(s => s.View.GetKeepAlive().IdleTime == TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task UseKeepAlive_ServerGoesSilent_OnlyACommandTimingOutTellsNotTheProfilesKeepAliveOrUserTimeout()
    {
        // CLIENTS.md and the 3201 line said an unanswered PING is data in flight that the profile's TCP_USER_TIMEOUT ends:
        // a frozen server acknowledges it, and the connection stayed up (no ConnectionFailed in 20 s under idle 1 s, a
        // user timeout of about 4 s and a PING every second).
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var profiles = ClientProfiles.InCode("cache", p =>
        {
            p.Tcp.IdleTime = TimeSpan.FromSeconds(1);
            p.Tcp.Interval = TimeSpan.FromSeconds(1);
            p.Tcp.ProbeCount = 3;
            p.Heartbeat.Interval = TimeSpan.FromSeconds(1);
        });
        var options = new ConfigurationOptions { EndPoints = { server.EndPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs, AsyncTimeout = 2000 }.UseKeepAlive(profiles.Profiles, "cache");
        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        await redis.GetDatabase().PingAsync();
        var failures = 0;
        redis.ConnectionFailed += (_, _) => Interlocked.Increment(ref failures);

        using (server.Freeze())
        {
            await Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Volatile.Read(ref failures).Should().Be(0, "the frozen server's kernel acknowledges the keep-alive probes and the PINGs: 10 s is over twice the user timeout");
            redis.IsConnected.Should().BeTrue();

            var watch = Stopwatch.StartNew();
            var ping = () => redis.GetDatabase().PingAsync();
            await ping.Should().ThrowAsync<RedisTimeoutException>("a command is what finds a server that answers nothing");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "after AsyncTimeout (2 s), with room for a loaded machine");
        }
    }

    [Fact]
    public async Task UseKeepAlive_MultiplexerDisposedAndCollected_AReloadOfTheKeepAliveNoLongerWarns()
    {
        // 3204 is tied, weakly, to the tunnel UseKeepAlive installs: once the multiplexer and its options are disposed and
        // collected, an accepted reload says nothing (the control: while it lives, it says KeepAlive stays 20s).
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:cache:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);

        await ReloadWarnings.StopOnceTheClientIsCollectedAsync(profiles, configuration, "KeepAlive:Profiles:cache:Heartbeat:Interval", "40s",
            "ConfigurationOptions.KeepAlive stays 20s (the profile now says 30s)", () => ReloadWhileAMultiplexerLivesThenDisposeAsync(profiles, configuration, server.EndPoint));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UseKeepAlive_HandSetHeartbeatIntervalLongerThanTheProfilesKeepAlive_ThePingIsNotLateAndAWarningSaysSo(bool endPointsFirst)
    {
        // StackExchange.Redis sends its KeepAlive PING only at a heartbeat, every ConfigurationOptions.HeartbeatInterval: with
        // one of 10 s set by hand, the profile's PING every second went out every 10 s, and nothing said so. With the end
        // points added after UseKeepAlive (which cannot read HeartbeatInterval without them), it still did after that was fixed.
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var profiles = ClientProfiles.InCode("cache", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(1));
        var options = new ConfigurationOptions { AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs, HeartbeatInterval = TimeSpan.FromSeconds(10) };
        if (endPointsFirst)
        {
            options.EndPoints.Add(server.EndPoint);
        }

        options.UseKeepAlive(profiles.Profiles, "cache");
        if (!endPointsFirst)
        {
            options.EndPoints.Add(server.EndPoint);
        }

        using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        await redis.GetDatabase().PingAsync();

        await Task.Delay(TimeSpan.FromSeconds(7), TestContext.Current.CancellationToken);

        var (idle, clients) = await PingIdleAsync(server.EndPoint);
        idle.Should().NotBeEmpty(clients).And.OnlyContain(s => s <= 4, $"a PING every second keeps the connection's idle time at a second or two ({clients})");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should()
            .StartWith("StackExchange.Redis: ConfigurationOptions.HeartbeatInterval was set by hand to 10s, but KeepAlive profile 'cache' sets Heartbeat:Interval, so the profile's 1s");
    }

    [Fact]
    public async Task UseKeepAlive_KeepAliveSetByHandAfterwards_OneThatMissesThePeerGoesBackWithAWarningAndOneThatKeepsItIsTakenAsYours()
    {
        // ConfigurationOptions.KeepAlive set after UseKeepAlive won silently: 5m under a profile whose Heartbeat:PeerIdleTimeout
        // (Azure's 4m) allows at most 2m went out every 5 minutes, and nothing said the peer would drop the idle connection first.
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var profiles = ClientProfiles.InCode("cache", p => (p.Heartbeat.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(20), PeerIdleTimeout.AzureLoadBalancer));
        ConfigurationOptions Options() => new ConfigurationOptions { EndPoints = { server.EndPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        var missing = Options();
        missing.KeepAlive = 300;

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(missing))
        {
            await redis.GetDatabase().PingAsync();
            redis.Configuration.Should().Contain("keepAlive=20", "the multiplexer runs the profile's KeepAlive, not the 5m the peer's idle timeout cannot be kept with");
        }

        missing.KeepAlive.Should().Be(20);
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle().Which.Should().Be(
            "StackExchange.Redis: ConfigurationOptions.KeepAlive (after UseKeepAlive) was set by hand to 5m, but KeepAlive profile 'cache' sets Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m), so the profile's 20s (what UseKeepAlive left) wins. Fix: remove the hand-set ConfigurationOptions.KeepAlive (after UseKeepAlive), or set it to at most 2m = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m) to keep your value.");

        var keeping = Options();
        keeping.KeepAlive = 90;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(keeping))
        {
            await redis.GetDatabase().PingAsync();
            redis.Configuration.Should().Contain("keepAlive=90", "within the limit, yours is honoured");
        }

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle(m => m.Contains("after UseKeepAlive", StringComparison.Ordinal), "said once, at the first connection").Which.Should()
            .Contain("ConfigurationOptions.KeepAlive (after UseKeepAlive) is set by hand to 1m30s, in place of the 20s UseKeepAlive left, and kept: yours");
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().ContainSingle("the one above");
    }

    [Fact]
    public async Task UseKeepAlive_TunnelReplacedAfterwards_TheFirstConnectionThroughItWarnsOnce_ALoggingTunnelOnTopStaysSilent()
    {
        // A ConfigurationOptions.Tunnel set after UseKeepAlive in place of ours: every socket was opened without the profile,
        // and nothing said so (RabbitMQ's SocketFactory set the same way logs 3206).
        using var server = Servers.Redis(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var profiles = ClientProfiles.InCode("cache", p => p.Tcp.IdleTime = TimeSpan.FromSeconds(7));
        var replaced = new ConfigurationOptions { EndPoints = { server.EndPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        replaced.Tunnel = new PlainTunnel();

        foreach (var _ in Enumerable.Range(0, 2))
        {
            using var redis = await ConnectionMultiplexer.ConnectAsync(replaced);
            await redis.GetDatabase().PingAsync();
        }

        profiles.Messages(KeepAliveEventIds.ClientSocketHookReplaced).Should().ContainSingle("said once, at the first connection through it").Which.Should().Be(
            $"StackExchange.Redis with KeepAlive profile 'cache': ConfigurationOptions.Tunnel was set after UseKeepAlive, to {typeof(PlainTunnel).FullName}, which does not call the one UseKeepAlive installed, so the client opens its sockets without the profile's Tcp section (no keep-alive from the profile on them; said once). Fix: set ConfigurationOptions.Tunnel before calling UseKeepAlive (yours is kept and the profile is applied to the sockets it creates), or call UseKeepAlive again after setting it.");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().BeEmpty("the sockets went through the tunnel set in place of ours");

        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var wrapped = new ConfigurationOptions { EndPoints = { server.EndPoint }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
#pragma warning disable CS0618 // experimental in StackExchange.Redis: a tunnel set after UseKeepAlive that wraps ours
            StackExchange.Redis.Configuration.LoggingTunnel.LogToDirectory(wrapped, directory.FullName);
#pragma warning restore CS0618
            using var redis = await ConnectionMultiplexer.ConnectAsync(wrapped);
            await redis.GetDatabase().PingAsync();

            profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().NotBeEmpty("the logging tunnel calls ours");
            profiles.Messages(KeepAliveEventIds.ClientSocketHookReplaced).Should().ContainSingle("a tunnel that wraps ours is no replacement");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>How long each connection whose last command was a PING has been idle, in seconds, from the server's CLIENT LIST (returned too, for messages).</summary>
    private static async Task<(List<int> Idle, string Clients)> PingIdleAsync(IPEndPoint server)
    {
        var clients = await ClientListAsync(server);
        return ([.. clients.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(static l => l.Contains("cmd=ping", StringComparison.Ordinal))
            .Select(static l => int.Parse(l.Split(' ').Single(static f => f.StartsWith("idle=", StringComparison.Ordinal))[5..], System.Globalization.CultureInfo.InvariantCulture))], clients);
    }

    /// <summary>The server's CLIENT LIST, asked over a socket of its own (not through StackExchange.Redis, whose commands would count as activity).</summary>
    private static async Task<string> ClientListAsync(IPEndPoint server)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, TestContext.Current.CancellationToken);
        await socket.SendAsync("CLIENT LIST\r\n"u8.ToArray(), SocketFlags.None, TestContext.Current.CancellationToken);
        var buffer = new byte[65536];
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<WeakReference> ReloadWhileAMultiplexerLivesThenDisposeAsync(ClientProfiles profiles, IConfigurationRoot configuration, IPEndPoint server)
    {
        var options = new ConfigurationOptions { EndPoints = { server }, AbortOnConnectFail = true, ConnectTimeout = ClientTimeouts.ConnectMs }.UseKeepAlive(profiles.Profiles, "cache");
        var tunnel = new WeakReference(options.Tunnel);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(options))
        {
            await redis.GetDatabase().PingAsync();
            configuration["KeepAlive:Profiles:cache:Heartbeat:Interval"] = "30s";
            configuration.Reload();
        }

        return tunnel;
    }

    private static async Task<IReadOnlyList<ClientSockets.Found>> WaitForAsync(Func<IReadOnlyList<ClientSockets.Found>?> found)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (found() is { } sockets)
            {
                return sockets;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("StackExchange.Redis did not reconnect within 30 s");
    }

    /// <summary>A tunnel of yours that wraps nothing: StackExchange.Redis's default behaviour.</summary>
    private sealed class PlainTunnel : StackExchange.Redis.Configuration.Tunnel;
}

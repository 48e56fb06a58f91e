using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats.Tests;

/// <summary>
/// Real nats-servers on loopback (no middlebox needed): TLS, which NATS.Net negotiates itself over the socket the package
/// opened, and hot reloads, which reach the sockets of every reconnection. The client's real socket is found by its remote
/// end point (the server) and read back from the kernel.
/// </summary>
public sealed class NatsOnLoopbackTests(NatsOnLoopback servers) : IClassFixture<NatsOnLoopback>
{
    [Theory]
    [InlineData("nats", false)]
    [InlineData("tls", true)]
    public async Task UseKeepAlive_ServerRequiresTls_PingRoundTripsOverTlsOnTheSocketThatCarriesTheProfile(string scheme, bool trustThroughCallback)
    {
        using var profiles = ClientProfiles.InCode("secure", NatProfiles.ReadBack);
        var server = servers.Tls.EndPoint;
        var tls = trustThroughCallback
            ? new NatsTlsOpts { ConfigureClientAuthentication = TrustTheTestAuthority }
            : new NatsTlsOpts { CaFile = servers.Certificates.CaFile };
        var options = (Options(scheme, server) with { TlsOpts = tls }).UseKeepAlive(profiles.Profiles, "secure");
        var before = ClientSockets.Snapshot(server);
        await using var nats = new NatsConnection(options);

        var roundTrip = await nats.PingAsync(TestContext.Current.CancellationToken);

        NatProfiles.Report($"NATS over TLS ({scheme}://, trust through {(trustThroughCallback ? "a validation callback" : "NatsTlsOpts.CaFile")}): PING answered in {roundTrip.TotalMilliseconds:0.0} ms");
        nats.ServerInfo!.TlsRequired.Should().BeTrue("this server refuses clients that do not upgrade to TLS");
        var socket = ClientSockets.SingleNew(server, before);
        NatProfiles.ShouldCarryReadBack(socket.View.GetKeepAlive());
        var tlsVersion = await TlsVersionTheServerSees(((IPEndPoint)socket.View.LocalEndPoint!).Port);
        tlsVersion.Should().StartWith("1.", "the server handled this very socket's connection as TLS");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().ContainSingle().Which.Should().Contain("idle 7s");
    }

    [Fact]
    public async Task UseKeepAlive_TlsConnectionClosed_NatsNetClosesThePackagesSocketWithoutAnError()
    {
        // NATS.Net's TLS stream owns the socket (a NetworkStream with ownsSocket) and disposes it first, then disposes the
        // package's connection: its Socket.Shutdown on the disposed socket threw ObjectDisposedException, which NATS.Net
        // logged as an error ("Error occured when disposing socket") at every close and reconnection of a TLS connection.
        using var profiles = ClientProfiles.InCode("secure", NatProfiles.ReadBack);
        var loggers = profiles.Services.GetRequiredService<ILoggerFactory>();
        var options = (Options("tls", servers.Tls.EndPoint) with { TlsOpts = new NatsTlsOpts { CaFile = servers.Certificates.CaFile }, LoggerFactory = loggers })
            .UseKeepAlive(profiles.Profiles, "secure");
        var nats = new NatsConnection(options);
        await nats.PingAsync(TestContext.Current.CancellationToken);

        await nats.DisposeAsync();

        profiles.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).Select(r => $"{r.Level} {r.Message} {r.Exception?.GetType().Name}: {r.Exception?.Message}")
            .Should().BeEmpty("closing a TLS connection is no error");
    }

    [Fact]
    public async Task UseKeepAlive_ServerNameWhoseFirstAddressRefuses_ConnectsThroughTheNextAddressConfigured()
    {
        // ::1 first, where nothing listens, then 127.0.0.1: a socket configured before ConnectAsync(host, port) made .NET
        // give up after the first address (TCP_USER_TIMEOUT is an option it does not track).
        using var profiles = ClientProfiles.InCode("fallback", NatProfiles.ReadBack);
        using var name = new HostsFileEntry(IPAddress.IPv6Loopback, IPAddress.Loopback);
        var server = servers.Plain.EndPoint;
        var options = (NatsOpts.Default with { Url = $"nats://{name.Name}:{server.Port}", ConnectTimeout = ClientTimeouts.Connect, MaxReconnectRetry = 0 })
            .UseKeepAlive(profiles.Profiles, "fallback");
        var before = ClientSockets.Snapshot(server);
        await using var nats = new NatsConnection(options);

        await nats.PingAsync(TestContext.Current.CancellationToken);

        NatProfiles.ShouldCarryReadBack(ClientSockets.SingleNew(server, before).View.GetKeepAlive());
    }

    [Fact]
    public async Task UseKeepAlive_ServerRequiresTlsButTheClientDisablesIt_RefusedAndNoPlainTextGetsThrough()
    {
        using var profiles = ClientProfiles.InCode("secure", NatProfiles.ReadBack);
        var options = (Options("nats", servers.Tls.EndPoint) with { TlsOpts = new NatsTlsOpts { Mode = TlsMode.Disable }, MaxReconnectRetry = 0 }).UseKeepAlive(profiles.Profiles, "secure");
        await using var nats = new NatsConnection(options);

        var failure = await Record.ExceptionAsync(async () => await nats.ConnectAsync());

        failure.Should().NotBeNull("the control for the TLS test: this server accepts nothing in plain text, so a PING that round-trips there went over TLS");
        failure!.ToString().Should().Contain("requires TLS");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().NotBeEmpty("the package opened the socket; NATS.Net refused to go on without TLS");
    }

    [Fact]
    public async Task UseKeepAlive_ProfileReloaded_TheNextSocketGetsTheNewValuesAndABadReloadKeepsTheLastGoodOnes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var server = servers.Plain.EndPoint;
        var before = ClientSockets.Snapshot(server);
        await using var nats = new NatsConnection(Options("nats", server).UseKeepAlive(profiles.Profiles, "events"));
        await nats.PingAsync(TestContext.Current.CancellationToken);
        var first = ClientSockets.SingleNew(server, before);
        first.View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));

        configuration["KeepAlive:Profiles:events:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        var second = await ReconnectAsync(nats, server, first);
        second.View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(9), "the reconnection after the reload opened a socket with the new values");

        configuration["KeepAlive:Profiles:events:Tcp:IdleTime"] = "-1s";
        configuration.Reload();
        var third = await ReconnectAsync(nats, server, second);
        third.View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(9), "a bad reload keeps the last good values");
        profiles.Messages(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle().Which.Should().Contain("KeepAlive:Profiles:events:Tcp:IdleTime");
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().HaveCount(3).And.Contain(m => m.Contains("idle 9s", StringComparison.Ordinal));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().BeEmpty("the connection's sockets follow the reload; the profile sets nothing NATS.Net takes once");
    }

    [Fact]
    public async Task UseKeepAlive_ServerRestartedWhileAReloadLanded_TheReconnectionsSocketCarriesTheReloadedProfile()
    {
        // A real restart (the process ends, its port refuses for a while, a new process answers), not a socket shut under
        // the client: NATS.Net's reconnection loop must still open its socket through the package's factory.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Tcp:IdleTime", "7s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var port = Servers.FreeLoopbackPort();
        var server = Servers.Nats(netns: null, IPAddress.Loopback, port);
        var endPoint = server.EndPoint;
        await using var nats = new NatsConnection(Options("nats", endPoint).UseKeepAlive(profiles.Profiles, "events"));
        try
        {
            await nats.PingAsync(TestContext.Current.CancellationToken);
            ClientSockets.SingleNew(endPoint, []).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        }
        finally
        {
            server.Dispose();
        }

        configuration["KeepAlive:Profiles:events:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        using var restarted = Servers.Nats(netns: null, IPAddress.Loopback, port);
        var watch = Stopwatch.StartNew();
        while (nats.ConnectionState != NatsConnectionState.Open && watch.Elapsed < ClientTimeouts.Connect)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await nats.PingAsync(TestContext.Current.CancellationToken);
        ClientSockets.SingleNew(endPoint, []).View.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(9), "the reconnection to the restarted server opened its socket through the package's factory, with the reloaded values");
    }

    [Fact]
    public async Task UseKeepAlive_OptionsForTcpServersCopiedForAWebSocketServer_ConnectsThroughNatsNetsOwnWebSocket()
    {
        // Options UseKeepAlive made for TCP servers carry its socket factory. Copied for a ws:// server and given the same
        // profile again, they kept it: the applied line said the Tcp section is not applied (every server is a WebSocket),
        // and every connection failed on that factory, which opens TCP servers only (NotSupportedException).
        using var profiles = ClientProfiles.InCode("events", p => p.Heartbeat.Interval = TimeSpan.FromSeconds(20));
        var webSocket = new IPEndPoint(IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var server = Servers.NatsWithWebSocket(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort(), webSocket);
        var forTcp = Options("nats", server.EndPoint).UseKeepAlive(profiles.Profiles, "events");
        var options = (forTcp with { Url = $"ws://{webSocket}", MaxReconnectRetry = 0 }).UseKeepAlive(profiles.Profiles, "events");
        await using var nats = new NatsConnection(options);

        await nats.PingAsync(TestContext.Current.CancellationToken);

        options.PingInterval.Should().Be(TimeSpan.FromSeconds(20));
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().HaveCount(2).And.Contain(m => m.Contains("Tcp is not applied: every server URL is a WebSocket", StringComparison.Ordinal));
        profiles.Messages(KeepAliveEventIds.ClientConnectionConfigured).Should().BeEmpty("NATS.Net opened the WebSocket's socket itself");
    }

    [Fact]
    public async Task UseKeepAlive_ServerGoesSilent_DroppedWithinTheWindowTheStartUpLineGives()
    {
        // Heartbeat:Interval 2 s and Timeout 3 s: MaxPingOut 2. NATS.Net counts unanswered PINGs only when it sends the next
        // one, so a server that goes silent right after a PONG is dropped 4 to 6 s later: never before the timeout, and
        // possibly more than one interval after it.
        using var profiles = ClientProfiles.InCode("events", p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(2);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(3);
        });
        var options = (Options("nats", servers.Plain.EndPoint) with { MaxReconnectRetry = 0 }).UseKeepAlive(profiles.Profiles, "events");
        await using var nats = new NatsConnection(options);
        var silentFor = Stopwatch.StartNew();
        var dropped = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        nats.ConnectionDisconnected += (_, _) =>
        {
            dropped.TrySetResult(silentFor.Elapsed);
            return ValueTask.CompletedTask;
        };
        await nats.PingAsync(TestContext.Current.CancellationToken);

        TimeSpan after;
        using (servers.Plain.Freeze())
        {
            silentFor.Restart();
            after = await dropped.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        }

        NatProfiles.Report($"NATS, PingInterval 2 s, MaxPingOut 2: a silent server was dropped {after.TotalSeconds:0.00} s after it went silent");
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(3.5), "never before MaxPingOut x PingInterval (4 s), which is at least the 3 s timeout")
            .And.BeLessThan(TimeSpan.FromSeconds(8), "within (MaxPingOut + 1) x PingInterval (6 s), with room for a loaded machine");
        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle().Which.Should().Contain("dropped 4s to 6s after it went silent");
    }

    // 3204 said "NATS.Net took these values" after every accepted reload for the rest of the process, also once the
    // connection made from the options had been disposed and collected: the watcher's subscription was never released.
    // Over ws:// no factory of ours is carried, and nothing held the watcher: it warned for as long as the profiles lived.
    [Theory]
    [InlineData("nats")]
    [InlineData("ws")]
    public async Task UseKeepAlive_ConnectionDisposedAndCollected_AReloadOfThePingIntervalNoLongerWarns(string scheme)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:events:Heartbeat:Interval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        var webSocket = new IPEndPoint(IPAddress.Loopback, Servers.FreeLoopbackPort());
        using var server = scheme == "ws" ? Servers.NatsWithWebSocket(netns: null, IPAddress.Loopback, Servers.FreeLoopbackPort(), webSocket) : null;
        var connection = await ReloadWhileAConnectionLivesThenDisposeAsync(profiles, configuration, Options(scheme, server is null ? servers.Plain.EndPoint : webSocket));
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("the control: a live connection keeps PingInterval 20s")
            .Which.Should().Contain("NatsOpts.PingInterval stays 20s (the profile now says 30s)");
        for (var i = 0; i < 50 && connection.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(100, TestContext.Current.CancellationToken); // NATS.Net's loops end after DisposeAsync returns
        }

        connection.IsAlive.Should().BeFalse("the disposed connection and its options are referenced by nothing of the test's");

        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = "40s";
        configuration.Reload();

        profiles.Messages(KeepAliveEventIds.ProfileReloaded).Should().HaveCount(2);
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("no connection keeps the values any more");
    }

    [Fact]
    public async Task UseKeepAlive_PingIntervalSetOnAWithCopyAfterwards_OneThatMissesThePeerIsRefusedWithAWarningAndOneThatKeepsItIsTakenAsYours()
    {
        // `opts with { PingInterval = 5m }` after UseKeepAlive connected silently: the copy carries the package's socket
        // factory, so its sockets got the profile, but NATS.Net ran the 5m PingInterval under a profile whose
        // Heartbeat:PeerIdleTimeout (Azure's 4m) allows at most 2m, and nothing said the peer would drop the idle connection first.
        using var profiles = ClientProfiles.InCode("events", p => (p.Heartbeat.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(20), PeerIdleTimeout.AzureLoadBalancer));
        // NATS.Net ends a failed connect in "can not connect uris" and logs the cause through its own LoggerFactory.
        var loggers = profiles.Services.GetRequiredService<ILoggerFactory>();
        var options = (Options("nats", servers.Plain.EndPoint) with { LoggerFactory = loggers }).UseKeepAlive(profiles.Profiles, "events");
        var missing = options with { PingInterval = TimeSpan.FromMinutes(5) };

        await using (var nats = new NatsConnection(missing))
        {
            await FluentActions.Awaiting(() => nats.ConnectAsync().AsTask()).Should().ThrowAsync<NatsException>("a 5m PingInterval cannot keep a 4m peer idle timeout");
        }

        profiles.Logs.GetSnapshot().Select(r => r.Exception?.Message).Should().Contain(m => m != null && m.Contains("NatsOpts.PingInterval 5m, set after UseKeepAlive", StringComparison.Ordinal) && m.Contains("the connection is refused", StringComparison.Ordinal));

        // Not 3202 ("the profile's ... wins"): NATS.Net keeps the options it was given, so nothing of the profile's wins.
        profiles.Messages(KeepAliveEventIds.ClientOptionOverridden).Should().BeEmpty();
        profiles.Messages(KeepAliveEventIds.ClientHeartbeatSetAfterUseKeepAliveRefused).Should().ContainSingle().Which.Should()
            .Contain("NatsOpts.PingInterval (after UseKeepAlive) was set by hand to 5m").And.Contain("Heartbeat:PeerIdleTimeout AzureLoadBalancer (4m)")
            .And.Contain("the 20s UseKeepAlive left cannot be put back: the connection is refused").And.Contain("Fix: set it to at most 2m");

        var within = options with { PingInterval = TimeSpan.FromMinutes(1) };
        await using (var nats = new NatsConnection(within))
        {
            await nats.PingAsync(TestContext.Current.CancellationToken);
            nats.Opts.PingInterval.Should().Be(TimeSpan.FromMinutes(1), "within the peer's 2m it is yours");
        }

        profiles.Messages(KeepAliveEventIds.ClientProfileApplied).Should().ContainSingle(m => m.Contains("NatsOpts.PingInterval (after UseKeepAlive) is set by hand to 1m", StringComparison.Ordinal));
        profiles.Messages(KeepAliveEventIds.ClientHeartbeatSetAfterUseKeepAliveRefused).Should().ContainSingle("the control: one within the profile gives no warning");
    }

    private static async Task<WeakReference> ReloadWhileAConnectionLivesThenDisposeAsync(ClientProfiles profiles, IConfigurationRoot configuration, NatsOpts options)
    {
        var nats = new NatsConnection(options.UseKeepAlive(profiles.Profiles, "events"));
        await nats.PingAsync(TestContext.Current.CancellationToken);
        configuration["KeepAlive:Profiles:events:Heartbeat:Interval"] = "30s";
        configuration.Reload();
        await nats.DisposeAsync();
        return new WeakReference(nats);
    }

    // Loopback, no middlebox: the connect timeout only has to outlast a loaded machine (ClientTimeouts.Connect).
    private static NatsOpts Options(string scheme, IPEndPoint server) => NatsOpts.Default with
    {
        Url = $"{scheme}://{server.Address}:{server.Port}",
        ConnectTimeout = ClientTimeouts.Connect,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>
    /// Ends the client's connection under it (shutdown on its own socket) and waits for NATS.Net to reconnect and answer a PING.
    /// When NATS.Net already closed that socket itself (once in CI, between the PING and the shutdown), the socket of its own
    /// reconnection, which may already be open, is the new one.
    /// </summary>
    private static async Task<ClientSockets.Found> ReconnectAsync(NatsConnection nats, IPEndPoint server, ClientSockets.Found current)
    {
        var before = ClientSockets.Snapshot(server);
        if (!ClientSockets.TryShutdown(current))
        {
            before.Clear();
        }

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ClientTimeouts.Connect)
        {
            if (ClientSockets.NewSince(server, before) is [var next] && nats.ConnectionState == NatsConnectionState.Open)
            {
                await nats.PingAsync(TestContext.Current.CancellationToken);
                return next;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"NATS.Net did not reconnect to {server} within {KeepAliveDuration.Format(ClientTimeouts.Connect)} (state {nats.ConnectionState})");
    }

    private ValueTask TrustTheTestAuthority(SslClientAuthenticationOptions options)
    {
        var authority = servers.Certificates.Authority;
        options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 presented && chain.Build(presented);
        };
        return ValueTask.CompletedTask;
    }

    /// <summary>The TLS version nats-server reports (<c>/connz</c>) for the client connection from <paramref name="clientPort"/>.</summary>
    private async Task<string?> TlsVersionTheServerSees(int clientPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var connz = await http.GetFromJsonAsync<JsonDocument>($"http://{servers.Monitoring}/connz", TestContext.Current.CancellationToken);
        var connection = connz!.RootElement.GetProperty("connections").EnumerateArray().Single(c => c.GetProperty("port").GetInt32() == clientPort);
        return connection.TryGetProperty("tls_version", out var version) ? version.GetString() : null;
    }
}

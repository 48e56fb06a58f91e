using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>A heartbeat from a named profile in a hosted app is one injected call.</summary>
public sealed class KeepAliveHeartbeatsTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": { "payments": {
            "Tcp": { "IdleTime": "19s", "Interval": "3s" },
            "Heartbeat": { "Interval": "200ms", "Mode": "FixedRate" } } } } }
        """;

    // The profile "cache" of StartCacheHostAsync refused when registered, named by its path, with the value, the limit and the fix.
    private const string CacheRefused = "KeepAlive profile 'cache'*nothing was registered*KeepAlive:Profiles:cache:Heartbeat:Interval: Interval is 10s (the default: Interval is not set), over the limit of 7s500ms*Fix:*";

    [Fact]
    public async Task RegisterSocket_NamedProfile_AppliesTcpAndSendsHeartbeatsAtTheProfilesInterval()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var (client, server) = await LoopbackPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;

        using var registration = host.Services.GetRequiredService<IKeepAliveHeartbeats>().RegisterSocket(client, "PING"u8.ToArray(), "payments");

        var received = new byte[12];
        var total = 0;
        while (total < received.Length)
        {
            total += await server.ReceiveAsync(received.AsMemory(total), TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        System.Text.Encoding.ASCII.GetString(received).Should().Be("PINGPINGPING", "three heartbeats at 200 ms arrive well within the wait");
        client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(19), "the profile's Tcp section is applied too");
        registration.GetStatistics().Should().NotBeNull();
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RegisterSocket_ReloadRightAfterTheProfileIsRead_AppliesTheValuesItRegistered()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:p:Tcp:IdleTime"] = "7s" }).Build();
        var services = new ServiceCollection().AddLogging().AddKeepAlive(configuration.GetSection("KeepAlive"));
        await using var provider = services.BuildServiceProvider();
        var reloadAfterRead = new ReloadAfterRead(provider.GetRequiredService<IKeepAliveProfiles>(), () =>
        {
            configuration["KeepAlive:Profiles:p:Tcp:IdleTime"] = "9s";
            configuration.Reload();
        });
        var (client, server) = await LoopbackPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;

        reloadAfterRead.Armed = true;
        using var registration = new Heartbeats.KeepAliveHeartbeats(reloadAfterRead, provider.GetRequiredService<IHeartbeatScheduler>()).RegisterSocket(client, "P"u8.ToArray(), "p");

        reloadAfterRead.Armed.Should().BeFalse("the reload happened right after the profile was read");
        provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("p").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(9), "the reload was accepted");
        client.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7), "one registration applies one version of the profile: the heartbeat's and the socket's values come from the same reading");
    }

    [Fact]
    public async Task RegisterSocket_UnixSocketWithTcpDisabled_SendsHeartbeats_AndWithTcpEnabledIsRefusedWithTheFix()
    {
        const string Local = """
            { "KeepAlive": { "Profiles": {
                "local":    { "Tcp": { "Enabled": false }, "Heartbeat": { "Interval": "200ms", "Mode": "FixedRate" } },
                "payments": { "Heartbeat": { "Interval": "200ms", "Mode": "FixedRate" } } } } }
            """;
        using var host = TestHosts.Build(Local, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var path = Path.Combine(Path.GetTempPath(), $"keepalive-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
        using var server = await listener.AcceptAsync(TestContext.Current.CancellationToken);
        var heartbeats = host.Services.GetRequiredService<IKeepAliveHeartbeats>();

        var refused = () => heartbeats.RegisterSocket(client, "PING"u8.ToArray(), "payments");
        refused.Should().Throw<ArgumentException>().WithMessage("KeepAlive profile 'payments' turns TCP keep-alive on*Unix-domain*nothing was registered*\"Enabled\": false*");
        using var registration = heartbeats.RegisterSocket(client, "PING"u8.ToArray(), "local");

        var received = new byte[8];
        var total = 0;
        while (total < received.Length)
        {
            total += await server.ReceiveAsync(received.AsMemory(total), TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        System.Text.Encoding.ASCII.GetString(received).Should().Be("PINGPING", "only the 'local' registration sends");
        ((HeartbeatScheduler)host.Services.GetRequiredService<IHeartbeatScheduler>()).RegistrationCount.Should().Be(1);
        File.Delete(path);
    }

    [Fact]
    public async Task RegisterSocket_NotConnected_RefusedByTheSchedulerBeforeTheProfileTouchesTheSocket()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var before = socket.GetKeepAlive();
        before.IdleTime.Should().NotBe(TimeSpan.FromSeconds(19), "the kernel's default is not the profile's value");

        var act = () => host.Services.GetRequiredService<IKeepAliveHeartbeats>().RegisterSocket(socket, "PING"u8.ToArray(), "payments");

        act.Should().Throw<ArgumentException>().WithMessage("*connect*");
        var after = socket.GetKeepAlive();
        (after.Enabled, after.IdleTime, after.Interval).Should().Be((before.Enabled, before.IdleTime, before.Interval), "a refused registration leaves the socket's keep-alive as it was (the profile would set IdleTime 19s)");
        ((HeartbeatScheduler)host.Services.GetRequiredService<IHeartbeatScheduler>()).RegistrationCount.Should().Be(0);
    }

    [Fact]
    public Task RegisterSocket_ClientProfileWithoutAnIntervalUnderTheTenSecondDefault_RefusedNamingTheProfileAndThePath() =>
        RegisterOnCacheRefusedNamingThePathAsync(static host => host.Services.GetRequiredService<IKeepAliveHeartbeats>());

    [Fact]
    public async Task RegisterSocket_BadSocketOrPayloadWithAProfileTheSchedulerRefuses_TheSocketThenThePayloadThenTheProfileIsSaid()
    {
        using var host = await StartCacheHostAsync();
        var heartbeats = host.Services.GetRequiredService<IKeepAliveHeartbeats>();
        var disposed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        disposed.Dispose();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var (client, server) = await LoopbackPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;
        var before = client.GetKeepAlive();

        // The socket's own error first, then the payload's, the profile's heartbeat last: each names what to fix first.
        FluentActions.Invoking(() => heartbeats.RegisterSocket(null!, "PING"u8.ToArray(), "cache")).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("socket");
        FluentActions.Invoking(() => heartbeats.RegisterSocket(disposed, "PING"u8.ToArray(), "cache")).Should().Throw<ObjectDisposedException>().WithMessage("The socket is disposed*");
        FluentActions.Invoking(() => heartbeats.RegisterSocket(udp, "PING"u8.ToArray(), "cache")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "socket").WithMessage("The socket is a Dgram socket*");
        FluentActions.Invoking(() => heartbeats.RegisterSocket(client, ReadOnlyMemory<byte>.Empty, "cache")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "payload").WithMessage("The heartbeat payload is empty*");
        FluentActions.Invoking(() => heartbeats.RegisterSocket(client, "PING"u8.ToArray(), "cache")).Should().Throw<ArgumentException>().Where(e => e.ParamName == "profileName").WithMessage(CacheRefused);

        var after = client.GetKeepAlive();
        (after.Enabled, after.IdleTime, after.Interval).Should().Be((before.Enabled, before.IdleTime, before.Interval), "no refused call applies the profile's Tcp section (IdleTime 5s)");
        ((HeartbeatScheduler)host.Services.GetRequiredService<IHeartbeatScheduler>()).RegistrationCount.Should().Be(0);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public Task RegisterSocket_SchedulerRefusingTheOptionsUnderNoParameterName_StillNamesTheProfileAndThePath() =>
        // Before, the profile and the path were added only to a refusal whose ParamName was the scheduler's "options": with the
        // parameter renamed (here: none), the bare scheduler message came through, naming no profile.
        RegisterOnCacheRefusedNamingThePathAsync(static host => new Heartbeats.KeepAliveHeartbeats(
            host.Services.GetRequiredService<IKeepAliveProfiles>(), new UnnamedRefusalScheduler(host.Services.GetRequiredService<IHeartbeatScheduler>())));

    [Fact]
    public async Task RegisterSocket_UnregisteredProfile_ThrowsWithFix()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var act = () => host.Services.GetRequiredService<IKeepAliveHeartbeats>().RegisterSocket(socket, "PING"u8.ToArray(), "orders");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'orders'*Fix:*");
    }

    // A client library is registered for "cache" and beats the 15 s peer itself (5 s), so the host starts; a heartbeat the
    // host registers with that profile sends the 10 s default, over the 7.5 s limit, and is refused when registered.
    private static async Task<IHost> StartCacheHostAsync()
    {
        const string CacheJson = """{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "5s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "15s" } } } } }""";
        var fast = new KeepAliveClientDescription("FastClient", "FastOptions.Heartbeat", TimeSpan.FromSeconds(5));
        var host = TestHosts.Build(CacheJson, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", fast));
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    // RegisterSocket with the profile "cache" of StartCacheHostAsync, through heartbeats made for the host, on a real
    // loopback socket: refused naming the profile and the path, with nothing registered.
    private static async Task RegisterOnCacheRefusedNamingThePathAsync(Func<IHost, IKeepAliveHeartbeats> heartbeatsOf)
    {
        using var host = await StartCacheHostAsync();
        var (client, server) = await LoopbackPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;

        var act = () => heartbeatsOf(host).RegisterSocket(client, "PING"u8.ToArray(), "cache");

        act.Should().Throw<ArgumentException>().WithMessage(CacheRefused);
        ((HeartbeatScheduler)host.Services.GetRequiredService<IHeartbeatScheduler>()).RegistrationCount.Should().Be(0);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A connected TCP pair on loopback: the application's socket and the peer's.</summary>
    internal static async Task<(Socket Client, Socket Server)> LoopbackPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        return (client, await listener.AcceptAsync(TestContext.Current.CancellationToken));
    }
}

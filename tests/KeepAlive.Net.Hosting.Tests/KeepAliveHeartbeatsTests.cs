using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>A heartbeat from a named profile in a hosted app is one injected call.</summary>
public sealed class KeepAliveHeartbeatsTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": { "payments": {
            "Tcp": { "IdleTime": "19s", "Interval": "3s" },
            "Heartbeat": { "Interval": "200ms", "Mode": "FixedRate" } } } } }
        """;

    [Fact]
    public async Task RegisterSocket_NamedProfile_AppliesTcpAndSendsHeartbeatsAtTheProfilesInterval()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        using var server = await listener.AcceptAsync(TestContext.Current.CancellationToken);

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
    public async Task RegisterSocket_UnregisteredProfile_ThrowsWithFix()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);

        var act = () => host.Services.GetRequiredService<IKeepAliveHeartbeats>().RegisterSocket(socket, "PING"u8.ToArray(), "orders");

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'orders'*Fix:*");
    }
}

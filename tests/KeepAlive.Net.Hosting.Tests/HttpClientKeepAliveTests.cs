using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Http;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class HttpClientKeepAliveTests
{
    private const string Json = """
        {
          "KeepAlive": {
            "Profiles": {
              "payments": { "Tcp": { "IdleTime": "00:00:17", "Interval": "00:00:03", "ProbeCount": 4 } },
              "default":  { "Tcp": { "IdleTime": "00:01:00", "Interval": "00:00:07", "ProbeCount": 2 } }
            }
          }
        }
        """;

    [Fact]
    public async Task UseTcpKeepAlive_RealConnection_KernelReportsProfileValues()
    {
        await using var server = new MiniHttpServer();
        var connections = new List<(Socket Socket, KeepAliveSettings Settings)>();
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments", c => c.BaseAddress = server.BaseAddress)
                .UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (socket, settings) =>
                {
                    lock (connections)
                    {
                        connections.Add((socket, settings));
                    }
                });
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var body = await client.GetStringAsync("/pay", TestContext.Current.CancellationToken);

        body.Should().Be("ok");
        connections.Should().ContainSingle();
        var (clientSocket, reported) = connections[0];
        var kernel = clientSocket.GetKeepAlive();
        kernel.IsReadBackFromKernel.Should().Be(KeepAliveCapabilities.Current.CanReadBack);
        kernel.Enabled.Should().BeTrue();
        kernel.IdleTime.Should().Be(TimeSpan.FromSeconds(17));
        kernel.Interval.Should().Be(TimeSpan.FromSeconds(3));
        kernel.ProbeCount.Should().Be(4);
        reported.IdleTime.Should().Be(kernel.IdleTime);

        // The socket we read is the one the server accepted: its local port is the server side's remote port.
        var clientPort = ((IPEndPoint)clientSocket.LocalEndPoint!).Port;
        server.Accepted.Select(s => ((IPEndPoint)s.RemoteEndPoint!).Port).Should().Contain(clientPort);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseTcpKeepAlive_NameWhoseFirstAddressRefuses_FallsBackToTheNextAddressConfigured()
    {
        // The name resolves to ::1 first, where nothing listens, then to 127.0.0.1, where the server does. A socket configured
        // before ConnectAsync(DnsEndPoint) made .NET give up after the first address (a raw socket option it does not track).
        await using var server = new MiniHttpServer();
        using var name = new HostsFileEntry(IPAddress.IPv6Loopback, IPAddress.Loopback);
        Socket? configured = null;
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (s, _) => configured = s);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var body = await client.GetStringAsync($"http://{name.Name}:{server.BaseAddress.Port}/pay", TestContext.Current.CancellationToken);

        body.Should().Be("ok");
        configured.Should().NotBeNull();
        ((IPEndPoint)configured!.RemoteEndPoint!).Address.MapToIPv4().Should().Be(IPAddress.Loopback, "the second address answered");
        configured.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(17), "the connected socket has the profile's values");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CreateClient_AfterTheHostIsStoppedAndDisposed_AHandlerBuiltBeforeKeepsTheProfileAnUnbuiltOneThrowsObjectDisposed()
    {
        // Code that outlives its host (a task finishing its work). The factory keeps a handler it built until its HandlerLifetime
        // ends, as for any client: its new connections still get the profile's last values. A client whose handler was never
        // built fails with the container's ObjectDisposedException, nothing of ours in between.
        await using var server = new MiniHttpServer();
        var configured = new ConcurrentQueue<KeepAliveSettings>();
        var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments", c => c.BaseAddress = server.BaseAddress).UseKeepAlive("payments", o => o.ConnectionConfigured = (_, settings) => configured.Enqueue(settings));
            services.AddHttpClient("orders", c => c.BaseAddress = server.BaseAddress).UseKeepAlive("default");
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        using (var before = factory.CreateClient("payments"))
        {
            (await before.GetStringAsync("/pay", TestContext.Current.CancellationToken)).Should().Be("ok");
        }

        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();

        using var after = factory.CreateClient("payments");
        for (var i = 0; i < 2; i++)
        {
            // Each connection closed after its response: the second request opens a connection after the host is gone.
            using var request = new HttpRequestMessage(HttpMethod.Get, "/pay") { Headers = { ConnectionClose = true } };
            using var response = await after.SendAsync(request, TestContext.Current.CancellationToken);
            (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("ok");
        }

        configured.Should().HaveCountGreaterThanOrEqualTo(2, "a connection opened after the host was disposed is configured too")
            .And.OnlyContain(s => s.IdleTime == TimeSpan.FromSeconds(17) && s.Interval == TimeSpan.FromSeconds(3) && s.ProbeCount == 4);
        var unbuilt = () => factory.CreateClient("orders");
        unbuilt.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task UseTcpKeepAlive_TwoClients_EachGetsItsOwnProfile()
    {
        await using var server = new MiniHttpServer();
        Socket? payments = null, other = null;
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (s, _) => payments = s);
            services.AddHttpClient("other").UseTcpKeepAlive(KeepAliveProfileOptions.DefaultProfileName, o => o.ConnectionConfigured = (s, _) => other = s);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        using var paymentsClient = factory.CreateClient("payments");
        using var otherClient = factory.CreateClient("other");
        await paymentsClient.GetStringAsync(server.BaseAddress, TestContext.Current.CancellationToken);
        await otherClient.GetStringAsync(server.BaseAddress, TestContext.Current.CancellationToken);

        payments!.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(17));
        other!.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(60));
        other!.GetKeepAlive().ProbeCount.Should().Be(2);
    }

    [Fact]
    public async Task UseTcpKeepAlive_ProfileReloaded_NextConnectionGetsNewValues()
    {
        await using var server = new MiniHttpServer();
        var sockets = new List<Socket>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "00:00:17" });
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (s, _) => sockets.Add(s));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        using (var first = new HttpRequestMessage(HttpMethod.Get, server.BaseAddress) { Headers = { ConnectionClose = true } })
        {
            (await client.SendAsync(first, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        builder.Configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "00:00:19";
        ((IConfigurationRoot)builder.Configuration).Reload();
        await client.GetStringAsync(server.BaseAddress, TestContext.Current.CancellationToken);

        sockets.Should().HaveCount(2, "the first connection was closed, so the second request opened a new one");
        sockets[1].GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(19));
    }

    [Fact]
    public async Task UseTcpKeepAlive_PooledConnectionLifetime_SetOnSocketsHttpHandler()
    {
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.PooledConnectionLifetime = TimeSpan.FromMinutes(2));
        });

        var handler = host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments");

        var sockets = Primary(handler).Should().BeOfType<SocketsHttpHandler>().Subject;
        sockets.PooledConnectionLifetime.Should().Be(TimeSpan.FromMinutes(2));
        await HttpClientKeepAliveLayerTests.SendOnceAsync(handler);
        sockets.ConnectCallback.Should().NotBeNull("the Tcp section is installed when the client sends its first request");
    }

    [Fact]
    public void UseTcpKeepAlive_NegativePooledConnectionLifetime_RefusedNamingTheClientTheValueAndTheFix()
    {
        // SocketsHttpHandler refuses it itself, as "Specified argument was out of the range of valid values. (Parameter
        // 'value')": no client, no option, no fix.
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").UseTcpKeepAlive("payments", o => o.PooledConnectionLifetime = TimeSpan.FromSeconds(-5));
        });

        var create = () => host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("payments");

        create.Should().Throw<InvalidOperationException>().WithMessage(
            "HttpClient 'payments': KeepAliveHttpClientOptions.PooledConnectionLifetime is -5s, which SocketsHttpHandler refuses*Fix: *");
    }

    private static HttpMessageHandler Primary(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        return handler;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.AspNetCore.Tests;

public sealed class ConnectionRetirementHttp1Tests
{
    [Fact]
    public async Task UseKeepAlive_MaxRequestsPerConnection3_ThirdResponseOnEachConnectionClosesIt()
    {
        var log = new ConnectionLog();
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxRequestsPerConnection": 3 } }"""),
            listen => { listen.Use(log.Middleware); listen.UseKeepAlive("edge"); },
            services => services.AddKeepAliveRequestLimits());
        app.MapGet("/", (HttpContext context) => context.Connection.Id);
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = KestrelHosts.BaseAddress(app) };
        var responses = new List<(HttpStatusCode Status, string Connection, bool Close)>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);
            responses.Add((response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), response.Headers.ConnectionClose == true));
        }

        responses.Should().OnlyContain(r => r.Status == HttpStatusCode.OK);
        responses.Select(r => r.Connection).Distinct().Should().HaveCount(4);
        responses.GroupBy(r => r.Connection).Select(g => g.Count()).Should().Equal(3, 3, 3, 1);
        responses.Select(r => r.Close).Should().Equal(false, false, true, false, false, true, false, false, true, false);
        log.Connections.Should().HaveCount(4, "the server saw four connections");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_UnixSocketEndpoint_RetiredByItsRequestLimitAndTheLogSaysOnlyTheTcpSectionIsNotApplied()
    {
        var path = Path.Combine(Path.GetTempPath(), $"keepalive-{Guid.NewGuid():N}.sock");
        var collector = new FakeLogCollector();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(KestrelHosts.Profile("edge", """{ "Tcp": { "IdleTime": "7s" }, "Http": { "MaxRequestsPerConnection": 2 } }"""))));
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive")).AddKeepAliveRequestLimits();
        builder.Services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Debug));
        builder.WebHost.UseKestrel(k => k.ListenUnixSocket(path, listen => listen.UseKeepAlive("edge")));
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Connection.Id);
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://localhost/") };
        var closes = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);
            closes.Add(response.Headers.ConnectionClose == true);
        }

        closes.Should().Equal([false, true, false, true], "the profile's Http section retires Unix-socket connections too");
        collector.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.KestrelConnectionWithoutSocket).Should().HaveCount(2)
            .And.OnlyContain(r => r.Message.EndsWith("the Tcp section of KeepAlive profile 'edge' was not applied.", StringComparison.Ordinal), "the rest of the profile was: the line must not say the whole profile was not");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_LastRequestLongerThanTheGracePeriod_CompletesWithConnectionClose()
    {
        // The request that reaches Http:MaxRequestsPerConnection is the connection's last: it must be allowed to finish
        // (a download, a long poll, a WebSocket). The grace period used to start when it started, so it was aborted.
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxRequestsPerConnection": 1, "ConnectionCloseGracePeriod": "00:00:00.500" } }"""),
            listen => listen.UseKeepAlive("edge"),
            services => services.AddKeepAliveRequestLimits());
        app.MapGet("/", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted);
            return "done";
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient { BaseAddress = KestrelHosts.BaseAddress(app), Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("done");
        response.Headers.ConnectionClose.Should().BeTrue();
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_MaxConnectionAgeWithJitter_RetiresEachConnectionWithinBounds()
    {
        var age = TimeSpan.FromSeconds(1);
        var jitter = TimeSpan.FromMilliseconds(400);
        var log = new ConnectionLog();
        await using var app = KestrelHosts.Build(
            KestrelHosts.Profile("edge", """{ "Http": { "MaxConnectionAge": "00:00:01", "MaxConnectionAgeJitter": "00:00:00.400", "ConnectionCloseGracePeriod": "00:00:05" } }"""),
            listen => { listen.Use(log.Middleware); listen.UseKeepAlive("edge"); });
        // Each request takes 250 ms, so a retirement almost always lands while one is in flight.
        app.MapGet("/", async (HttpContext context) =>
        {
            await Task.Delay(250, context.RequestAborted);
            return context.Connection.Id;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = KestrelHosts.BaseAddress(app) };
        var statuses = new List<HttpStatusCode>();
        var closes = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(4.5);
        while (DateTime.UtcNow < until)
        {
            using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
            closes += response.Headers.ConnectionClose == true ? 1 : 0;
        }

        var ended = log.Connections.Values.Where(c => c.Lifetime is not null).ToList();
        statuses.Should().OnlyContain(s => s == HttpStatusCode.OK);
        ended.Should().HaveCountGreaterThanOrEqualTo(2, "connections older than 1 s are retired");
        foreach (var connection in ended)
        {
            connection.Retirement!.MaxAge.Should().BeGreaterThanOrEqualTo(age - jitter).And.BeLessThanOrEqualTo(age);
            connection.Lifetime.Should().BeGreaterThanOrEqualTo(connection.Retirement.MaxAge!.Value - TimeSpan.FromMilliseconds(20))
                .And.BeLessThan(connection.Retirement.MaxAge.Value + TimeSpan.FromSeconds(2), "an idle or finished connection closes at once when retired");
            connection.Retirement.IsRetiring.Should().BeTrue();
        }

        ended.Select(c => c.Retirement!.MaxAge).Distinct().Should().HaveCountGreaterThan(1, "each connection draws its own jitter");
        closes.Should().BeGreaterThan(0, "a retirement that lands during a request marks that response Connection: close");
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}

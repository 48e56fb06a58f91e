using System.Diagnostics;
using System.Net;
using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class HttpClientKeepAliveLayerTests
{
    // SocketsHttpHandler checks its connections on a heartbeat of max(1 s, min(delay, timeout) / 4), a timer of the thread
    // pool: with the profile's delay of 1 s a PING leaves 1 to 2 s after the connection fell silent, and a dead peer is found
    // 2 to 3 s after the request. A loaded 2-core machine fires that timer late, so the bounds are a few times those; without
    // the profile the handler never pings (its default delay is infinite) and a dead server holds the request for
    // HttpClient's 100 s, which both bounds still tell apart.
    private static readonly TimeSpan MaxPingGap = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxDetection = TimeSpan.FromSeconds(10);

    private const string PingProfile = """
        { "KeepAlive": { "Profiles": { "h2": {
            "Http": { "KeepAlivePingDelay": "1s", "KeepAlivePingTimeout": "1s", "KeepAlivePingPolicy": "Always" } } } } }
        """;

    [Fact]
    public async Task UseKeepAlive_Http2IdleConnection_ClientPingsAtTheConfiguredDelay()
    {
        await using var server = new RawH2cServer();
        using var host = BuildClientHost(PingProfile, server.BaseAddress);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("h2");

        using var response = await client.GetAsync("/", TestContext.Current.CancellationToken);
        var idleFrom = Stopwatch.GetTimestamp();
        // Until three PINGs (3 to 6 s); the bound only ends the wait of a handler that does not ping.
        while (server.Pings.Count < 3 && Stopwatch.GetElapsedTime(idleFrom) < MaxPingGap * 3)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var pings = server.Pings.ToArray();
        pings.Length.Should().BeGreaterThanOrEqualTo(3, "an idle connection is pinged every 1 to 2 s");
        Stopwatch.GetElapsedTime(idleFrom, pings[0]).Should().BeGreaterThan(TimeSpan.FromMilliseconds(900), "no PING before the connection was silent for the delay")
            .And.BeLessThan(MaxPingGap);
        pings.Zip(pings.Skip(1), Stopwatch.GetElapsedTime).Should().OnlyContain(gap => gap > TimeSpan.FromMilliseconds(900) && gap < MaxPingGap,
            "each answered PING restarts the delay (no PING comes sooner), and the next one leaves on the first heartbeat after it");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_Http2ServerStopsAnswering_DetectedWithinDelayPlusTimeout()
    {
        await using var server = new RawH2cServer { AnswerPings = false, AnswerRequests = false };
        using var host = BuildClientHost(PingProfile, server.BaseAddress);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("h2");

        var started = Stopwatch.GetTimestamp();
        var ex = await Record.ExceptionAsync(() => client.GetAsync("/", TestContext.Current.CancellationToken));
        var detected = Stopwatch.GetElapsedTime(started);

        ex.Should().BeOfType<HttpRequestException>();
        ex!.ToString().Should().ContainEquivalentOf("ping");
        detected.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5), "the PING goes out after 1 s of silence and has 1 s to be answered")
            .And.BeLessThan(MaxDetection, "delay + timeout = 2 s, plus the handler's heartbeat and a busy machine");
        (await server.ConnectionClosed.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken)).Should().BePositive();
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task UseKeepAlive_ProfileHttpSection_SetsTheSocketsHttpHandler()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "api": {
                "Http": { "PooledConnectionIdleTimeout": "50s", "PooledConnectionLifetime": "10m", "MaxConnectionAgeJitter": "1m",
                          "ConnectTimeout": "3s", "KeepAlivePingDelay": "30s", "KeepAlivePingTimeout": "15s", "KeepAlivePingPolicy": "WithActiveRequests" },
                "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } } } } }
            """;
        using var host = BuildClientHost(Json, new Uri("http://127.0.0.1:1/"), "api");
        await host.StartAsync(TestContext.Current.CancellationToken);
        var factory = host.Services.GetRequiredService<IHttpMessageHandlerFactory>();

        var lifetimes = new List<TimeSpan>();
        for (var i = 0; i < 2; i++)
        {
            var chain = factory.CreateHandler("api");
            var handler = PrimaryHandler(chain);
            handler.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50));
            handler.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(3));
            handler.KeepAlivePingDelay.Should().Be(TimeSpan.FromSeconds(30));
            handler.KeepAlivePingTimeout.Should().Be(TimeSpan.FromSeconds(15));
            handler.KeepAlivePingPolicy.Should().Be(HttpKeepAlivePingPolicy.WithActiveRequests);
            await SendOnceAsync(chain);
            handler.ConnectCallback.Should().NotBeNull("the Tcp half is applied too, when the client sends its first request");
            lifetimes.Add(handler.PooledConnectionLifetime);
        }

        lifetimes.Should().OnlyContain(l => l >= TimeSpan.FromMinutes(9) && l <= TimeSpan.FromMinutes(10), "the lifetime is shortened by at most the jitter");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static Microsoft.Extensions.Hosting.IHost BuildClientHost(string json, Uri baseAddress, string name = "h2") =>
        TestHosts.Build(json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient(name, c =>
            {
                c.BaseAddress = baseAddress;
                c.DefaultRequestVersion = HttpVersion.Version20;
                c.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact; // h2c with prior knowledge
                c.Timeout = TimeSpan.FromSeconds(30);
            }).UseKeepAlive(name);
        });

    /// <summary>Sends one request through a client's handler chain to a port nothing listens on: the connect is refused.</summary>
    internal static async Task SendOnceAsync(HttpMessageHandler chain)
    {
        using var invoker = new HttpMessageInvoker(chain, disposeHandler: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:1/");
        var send = () => invoker.SendAsync(request, TestContext.Current.CancellationToken);
        await send.Should().ThrowAsync<HttpRequestException>();
    }

    private static SocketsHttpHandler PrimaryHandler(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        return (SocketsHttpHandler)handler;
    }
}

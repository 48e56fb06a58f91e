using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class HttpProfileValidationTests
{
    [Fact]
    public async Task AddKeepAlive_EveryHttpAndWebSocketKey_Binds()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "edge": {
                "Http": { "MaxConnectionAge": "10m", "MaxConnectionAgeJitter": "30s", "MaxRequestsPerConnection": 1000,
                          "ConnectionCloseGracePeriod": "00:00:20", "KeepAliveTimeout": "6m", "PooledConnectionIdleTimeout": "50s",
                          "PooledConnectionLifetime": "5m", "ConnectTimeout": "250ms", "KeepAlivePingDelay": "30s",
                          "KeepAlivePingTimeout": "20s", "KeepAlivePingPolicy": "withactiverequests" },
                "WebSocket": { "KeepAliveInterval": "30s", "KeepAliveTimeout": "10s" },
                "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } } } } }
            """;
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var profile = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("edge");

        profile.Http.Should().BeEquivalentTo(new HttpKeepAliveOptions
        {
            MaxConnectionAge = TimeSpan.FromMinutes(10), MaxConnectionAgeJitter = TimeSpan.FromSeconds(30), MaxRequestsPerConnection = 1000,
            ConnectionCloseGracePeriod = TimeSpan.FromSeconds(20), KeepAliveTimeout = TimeSpan.FromMinutes(6),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50), PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromMilliseconds(250), KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20), KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        });
        profile.WebSocket.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(30));
        profile.WebSocket.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(10));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "Http": { "MaxConnectionAge": "600" } }""", "Http:MaxConnectionAge", "no unit")]
    [InlineData("""{ "Http": { "KeepAlivePingDelay": "500ms" } }""", "Http:KeepAlivePingDelay", "1s")]
    [InlineData("""{ "Http": { "MaxRequestsPerConnection": 0 } }""", "Http:MaxRequestsPerConnection", "at least one request")]
    [InlineData("""{ "Http": { "MaxRequestsPerConnection": "many" } }""", "Http:MaxRequestsPerConnection", "whole number")]
    [InlineData("""{ "Http": { "KeepAlivePingPolicy": "Sometimes" } }""", "Http:KeepAlivePingPolicy", "WithActiveRequests or Always")]
    [InlineData("""{ "Http": { "MaxAge": "10m" } }""", "Http:MaxAge", "unknown key")]
    [InlineData("""{ "Http": { "MaxConnectionAge": "1m", "MaxConnectionAgeJitter": "1m" } }""", "Http:MaxConnectionAgeJitter", "retired at once")]
    [InlineData("""{ "Http": { "MaxConnectionAgeJitter": "10s" } }""", "Http:MaxConnectionAgeJitter", "no Http:MaxConnectionAge")]
    [InlineData("""{ "Http": { "MaxConnectionAge": "10m", "PooledConnectionLifetime": "30s", "MaxConnectionAgeJitter": "1m" } }""", "Http:MaxConnectionAgeJitter", "not less than Http:PooledConnectionLifetime 30s")]
    [InlineData("""{ "Http": { "ConnectionCloseGracePeriod": "10s" } }""", "Http:ConnectionCloseGracePeriod", "nothing retires a connection")]
    [InlineData("""{ "WebSocket": { "KeepAliveInterval": "0s", "KeepAliveTimeout": "10s" } }""", "WebSocket:KeepAliveTimeout", "no PING is ever sent")]
    [InlineData("""{ "Http": { "KeepAlivePingTimeout": "20s" } }""", "Http:KeepAlivePingTimeout", "no PING is ever sent")]
    [InlineData("""{ "WebSocket": { "KeepAliveInterval": "2h" } }""", "WebSocket:KeepAliveInterval", "ceiling")]
    public async Task Start_BadHttpOrWebSocketValue_HostDoesNotStartAndNamesPathValueAndFix(string profileJson, string setting, string reason)
    {
        var ex = await TestHosts.StartFailingAsync(Json(profileJson), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        message.Should().Contain($"KeepAlive:Profiles:edge:{setting}").And.Contain("Fix:");
        message.Should().ContainEquivalentOf(reason);
    }

    [Fact]
    public async Task Start_WebSocketTimeoutWithoutAnInterval_AcceptedAndTheClientsOwnIntervalPings()
    {
        // Unset, the interval is the platform's (ClientWebSocket 30 s, UseWebSockets 2 min), and with a timeout those frames
        // are PINGs: only an interval of 0 sends none. The timeout alone was refused as "no PING is ever sent".
        using var host = TestHosts.Build(Json("""{ "WebSocket": { "KeepAliveTimeout": "10s" } }"""), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        using var webSocket = new System.Net.WebSockets.ClientWebSocket();
        var platformInterval = webSocket.Options.KeepAliveInterval;
        webSocket.Options.UseKeepAlive(host.Services.GetRequiredService<IKeepAliveProfiles>(), "edge");

        platformInterval.Should().BePositive("the client's own interval sends keep-alive frames");
        webSocket.Options.KeepAliveInterval.Should().Be(platformInterval, "the profile leaves the interval unset");
        webSocket.Options.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(10));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "KeepAliveTimeout": "60s" }""", "Http:KeepAliveTimeout", "502", "above 1m")]
    [InlineData("""{ "PooledConnectionIdleTimeout": "90s" }""", "Http:PooledConnectionIdleTimeout", "before the middlebox forgets it", "below 1m")]
    [InlineData("""{ "KeepAlivePingDelay": "60s" }""", "Http:KeepAlivePingDelay", "before the first PING", "to at most 30s")]
    public async Task Start_HttpLayerAgainstPeerIdleTimeout_HostDoesNotStartAndExplainsTheRole(string httpJson, string setting, string why, string fix)
    {
        var json = Json($$"""{ "Http": {{httpJson}}, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Message.Should().Contain($"KeepAlive:Profiles:edge:{setting}: ").And.Contain("AwsAlb").And.Contain(why).And.Contain($"Fix: set {setting} {fix}");
    }

    [Fact]
    public async Task Start_PoolIdleTimeoutOverAShortPeerIdleTimeout_TheFixsExampleIsAValidTime()
    {
        // A margin of 5 s taken off a 4 s middlebox left a negative example.
        var json = Json("""{ "Http": { "PooledConnectionIdleTimeout": "1m" }, "Heartbeat": { "Interval": "1s", "PeerIdleTimeout": "4s" } }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Message.Should().Contain("Fix: set Http:PooledConnectionIdleTimeout below 4s, for example 2s.");
    }

    [Fact]
    public async Task Start_WebSocketIntervalOverHalfThePeerIdleTimeout_HostDoesNotStart()
    {
        var json = Json("""{ "WebSocket": { "KeepAliveInterval": "45s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Message.Should().Contain("KeepAlive:Profiles:edge:WebSocket:KeepAliveInterval: WebSocket:KeepAliveInterval is 45s, over 30s").And.Contain("Fix: set WebSocket:KeepAliveInterval to at most 30s");
    }

    [Fact]
    public async Task Start_RolesRespected_ServerLongerAndClientShorterThanThePeerStarts()
    {
        var json = Json("""{ "Http": { "KeepAliveTimeout": "65s", "PooledConnectionIdleTimeout": "50s", "KeepAlivePingDelay": "20s" }, "WebSocket": { "KeepAliveInterval": "25s" }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } }""");
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("edge").Http.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(65));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Start_ProfileInCodeWithBadHttpValue_HostDoesNotStart()
    {
        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", o => o.Http.KeepAlivePingTimeout = TimeSpan.FromMilliseconds(10)));

        ex.Message.Should().Contain("KeepAlive profile 'bulk' (configured in code) Http:KeepAlivePingTimeout: KeepAlivePingTimeout 10ms is below the floor of 1s: ").And.Contain("Fix:");
    }

    private static string Json(string profile) => $$"""{ "KeepAlive": { "Profiles": { "edge": {{profile}} } } }""";
}

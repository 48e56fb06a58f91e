using System.Net.Http;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
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
    [InlineData("""{ "Http": { "MaxConnectionAge": "1m", "MaxConnectionAgeJitter": "1m" } }""", "Http:MaxConnectionAgeJitter", "retired almost at once")]
    [InlineData("""{ "Http": { "MaxConnectionAgeJitter": "10s" } }""", "Http:MaxConnectionAgeJitter", "no Http:MaxConnectionAge")]
    [InlineData("""{ "Http": { "MaxConnectionAge": "10m", "PooledConnectionLifetime": "30s", "MaxConnectionAgeJitter": "1m" } }""", "Http:MaxConnectionAgeJitter", "more than half of Http:PooledConnectionLifetime 30s")]
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

    [Theory]
    [InlineData("MaxConnectionAge")]
    [InlineData("PooledConnectionLifetime")]
    public async Task Start_MaxConnectionAgeJitterJustUnderTheAge_RefusedWithPathValueAndFix(string age)
    {
        // A jitter of 999ms off 1s draws ages down to 1ms: a new connection is retired (or its pool lifetime ends) almost at
        // once, over HTTP/1.1 before Kestrel reads its first request. Only a jitter not less than the age was refused.
        var json = Json($$"""{ "Http": { "{{age}}": "1s", "MaxConnectionAgeJitter": "999ms" } }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        message.Should().Contain($"KeepAlive:Profiles:edge:Http:MaxConnectionAgeJitter: Http:MaxConnectionAgeJitter is 999ms, more than half of Http:{age} 1s")
            .And.Contain("drawn down to 1ms").And.Contain("Fix: set it to at most 500ms").And.Contain("for example 100ms");
    }

    [Fact]
    public async Task Start_MaxConnectionAgeJitterJustUnderTheAgeSetInCode_Refused()
    {
        using var host = TestHosts.Build("{}", (services, _) => services.AddKeepAlive("edge", o =>
        {
            o.Http.MaxConnectionAge = TimeSpan.FromSeconds(1);
            o.Http.MaxConnectionAgeJitter = TimeSpan.FromMilliseconds(999);
        }));

        var start = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message
            .Should().Contain("Http:MaxConnectionAgeJitter is 999ms, more than half of Http:MaxConnectionAge 1s").And.Contain("Fix:");
    }

    [Theory]
    [InlineData("MaxConnectionAge")]
    [InlineData("PooledConnectionLifetime")]
    public async Task Start_MaxConnectionAgeJitterHalfTheAge_Accepted(string age)
    {
        using var host = TestHosts.Build(Json($$"""{ "Http": { "{{age}}": "1s", "MaxConnectionAgeJitter": "500ms" } }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("edge").Http.MaxConnectionAgeJitter.Should().Be(TimeSpan.FromMilliseconds(500));
        await host.StopAsync(TestContext.Current.CancellationToken);
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

    [Fact]
    public void ClientWebSocketUseKeepAlive_IntervalAndTimeoutSetByHand_TheProfileWinsAndSaysSoForEach()
    {
        // The profile's WebSocket section replaced a hand-set KeepAliveInterval and KeepAliveTimeout without a word, where a
        // SocketsHttpHandler's hand-set value the profile replaces is warned about (3202).
        using var services = WebSocketProfiles();
        using var webSocket = new System.Net.WebSockets.ClientWebSocket();
        webSocket.Options.KeepAliveInterval = TimeSpan.FromSeconds(5);
        webSocket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(3);

        webSocket.Options.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "both");

        webSocket.Options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(20), "the profile's value wins");
        webSocket.Options.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(10), "the profile's value wins");
        services.GetFakeLogCollector().GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden).Select(static r => r.Message).Should().Equal(
            "clientWebSocketOptions.UseKeepAlive(profiles, \"both\"): ClientWebSocketOptions.KeepAliveInterval was set by hand to 5s, but KeepAlive profile 'both' sets WebSocket:KeepAliveInterval, so the profile's 20s wins. Fix: remove the hand-set ClientWebSocketOptions.KeepAliveInterval, or remove WebSocket:KeepAliveInterval from the profile to keep your value.",
            "clientWebSocketOptions.UseKeepAlive(profiles, \"both\"): ClientWebSocketOptions.KeepAliveTimeout was set by hand to 3s, but KeepAlive profile 'both' sets WebSocket:KeepAliveTimeout, so the profile's 10s wins. Fix: remove the hand-set ClientWebSocketOptions.KeepAliveTimeout, or remove WebSocket:KeepAliveTimeout from the profile to keep your value.");
    }

    [Fact]
    public void ClientWebSocketUseKeepAlive_AReloadChangesTheWebSocketSection_WarnsThatTheOptionsValuesStayWithTheFix()
    {
        // A WebSocket's options are fixed once it connects: a reload of WebSocket:KeepAliveInterval never reached them, and
        // nothing said so, while every other client says what stays (3204).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("KeepAlive:Profiles:ws:WebSocket:KeepAliveInterval", "20s"), new("KeepAlive:Profiles:ws:WebSocket:KeepAliveTimeout", "10s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);
        using var webSocket = new System.Net.WebSockets.ClientWebSocket();
        webSocket.Options.UseKeepAlive(profiles.Profiles, "ws");

        configuration["KeepAlive:Profiles:ws:WebSocket:KeepAliveInterval"] = "25s";
        configuration.Reload();

        webSocket.Options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(20), "the options took the WebSocket section once");
        profiles.Messages(KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle("one reload, one warning").Which.Should().Be(
            "ClientWebSocket took these values from KeepAlive profile 'ws' once, when it was set up, so the reload just accepted does not reach them: "
            + "ClientWebSocketOptions.KeepAliveInterval stays 20s (the profile now says 25s). "
            + "Fix: a ClientWebSocket's options cannot change once it has connected: connect a new ClientWebSocket with clientWebSocket.ConnectAsync(uri, profiles, \"ws\", cancellationToken) "
            + "(or clientWebSocket.Options.UseKeepAlive(profiles, \"ws\") before its ConnectAsync), which takes the reloaded values.");
    }

    [Fact]
    public async Task ClientWebSocketUseKeepAlive_WebSocketDisposedAndCollected_AReloadNoLongerWarns()
    {
        // The warning is tied, weakly, to the options: once their WebSocket is dropped and collected, nothing keeps the values.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:ws:WebSocket:KeepAliveInterval", "20s")]).Build();
        using var profiles = ClientProfiles.FromConfiguration(configuration);

        await ReloadWarnings.StopOnceTheClientIsCollectedAsync(profiles, configuration, "KeepAlive:Profiles:ws:WebSocket:KeepAliveInterval", "40s",
            "ClientWebSocketOptions.KeepAliveInterval stays 20s (the profile now says 30s)", () => Task.FromResult(ReloadWhileAWebSocketLivesThenDispose(profiles, configuration)));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference ReloadWhileAWebSocketLivesThenDispose(ClientProfiles profiles, IConfigurationRoot configuration)
    {
        var webSocket = new System.Net.WebSockets.ClientWebSocket();
        webSocket.Options.UseKeepAlive(profiles.Profiles, "ws");
        configuration["KeepAlive:Profiles:ws:WebSocket:KeepAliveInterval"] = "30s";
        configuration.Reload();
        webSocket.Dispose();
        return new WeakReference(webSocket);
    }

    [Fact]
    public void ClientWebSocketUseKeepAlive_DefaultIntervalAndATimeoutTheProfileLeavesUnset_NothingIsReported()
    {
        // A value equal to the client's default cannot be told from one never set; one the profile leaves unset is kept.
        using var services = WebSocketProfiles();
        using var webSocket = new System.Net.WebSockets.ClientWebSocket();
        webSocket.Options.KeepAliveInterval = System.Net.WebSockets.WebSocket.DefaultKeepAliveInterval;
        webSocket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(3);

        webSocket.Options.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), "interval");

        webSocket.Options.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(20));
        webSocket.Options.KeepAliveTimeout.Should().Be(TimeSpan.FromSeconds(3), "the profile leaves the timeout unset");
        services.GetFakeLogCollector().GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden);
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

    [Theory]
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" } }""", "Http:KeepAlivePingDelay is not set")]
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" }, "Http": { "KeepAlivePingDelay": "10s", "KeepAlivePingPolicy": "WithActiveRequests" } }""", "HTTP/2 PINGs run only with requests in flight")]
    public async Task Start_HttpClientProfileWhoseIdlePooledConnectionOutlivesThePeerUnkept_HostDoesNotStartAndNamesPathValueAndFix(string profile, string pings)
    {
        // Accepted before for an HttpClient: Tcp off and no ping on an idle connection, while the pool's default (1m) keeps it
        // past the middlebox's 30s, so the next request went into a flow the middlebox had forgotten.
        var ex = await TestHosts.StartFailingAsync(Json(profile), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("orders").UseKeepAlive("edge");
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .StartWith("KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, ").And.Contain(pings)
            .And.Contain("SocketsHttpHandler keeps an idle pooled connection for 1m, not less than Heartbeat:PeerIdleTimeout 30s: an idle connection has no keep-alive at all")
            .And.EndWith("Fix: enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below 30s) so the kernel keeps idle connections alive, or set Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first.");
    }

    [Theory]
    [InlineData("2s", "Fix: set Http:PooledConnectionIdleTimeout below 2s, for example 1s, so the client drops an idle connection first.")]
    [InlineData("1s", "Fix: remove Heartbeat:PeerIdleTimeout or raise it above 1s (nothing else can keep or drop the idle connection in time: Tcp:IdleTime and Tcp:Interval are at least 1s and 1s, so the earliest retry leaves after 2s, and Http:PooledConnectionIdleTimeout is at least 1s).")]
    public async Task Start_HttpClientProfileUnkeptWithAPeerTooShortForTheTcpSection_FixNamesOnlyWhatCanWork(string peer, string fix)
    {
        // Before, the fix said to enable the Tcp section, which the Tcp rule then refuses at 2s or less ("set Tcp:Enabled to
        // false"), and at 1s also a pool timeout below 1s, under the pool timeout's floor.
        var ex = await TestHosts.StartFailingAsync(Json($$"""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "{{peer}}" } }"""), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("orders").UseKeepAlive("edge");
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        // The heartbeat's interval (10s by default) is refused too, on its own key.
        ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle(static f => f.StartsWith("KeepAlive:Profiles:edge:Tcp:Enabled: ")).Which.Should()
            .StartWith("KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, ").And.EndWith(fix).And.NotContain("enable the Tcp section");
    }

    [Fact]
    public async Task Start_ProfileWithoutTcpOrPingsNoHttpClientPools_Starts()
    {
        // Only a client pools connections: the same profile for Kestrel, a client library's heartbeat or a socket is no pool's.
        using var host = TestHosts.Build(Json("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" } }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("edge").Tcp.Enabled.Should().BeFalse();
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "Tcp": { "IdleTime": "10s" }, "Heartbeat": { "PeerIdleTimeout": "30s" } }""")] // the Tcp section's probes, within 30s by its own rule
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" }, "Http": { "PooledConnectionIdleTimeout": "20s" } }""")]
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" }, "Http": { "KeepAlivePingDelay": "10s" } }""")] // pings without calls
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }""")] // the pool's 1m drops it before 5m50s
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" }, "Http": { "PooledConnectionIdleTimeout": "50s", "KeepAlivePingDelay": "20s", "PeerPermitsPingsWithoutCalls": false } }""")]
    public async Task Start_HttpClientProfileWhoseIdlePooledConnectionIsDroppedOrKeptInTime_Starts(string profile)
    {
        // The last was refused before ("an idle connection has no keep-alive at all"), though the pool drops it at 50s, before the ALB's 1m.
        await StartsAndCreatesOrders(profile, static services => services.AddHttpClient("orders").UseKeepAlive("edge"));
    }

    [Theory]
    [InlineData(false, "KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, Http:KeepAlivePingDelay is not set")]
    [InlineData(true, "KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, HttpClient 'orders' takes the profile with UseTcpKeepAlive(\"edge\")")] // accepted before
    public void Reload_HttpClientProfileTurnsTcpOffUnkept_RefusedAndTheLastValidValuesStay(bool tcpSectionOnly, string refusal)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:edge:Heartbeat:PeerIdleTimeout"] = "30s",
            ["KeepAlive:Profiles:edge:Tcp:IdleTime"] = "10s",
        }).Build();
        var services = new ServiceCollection().AddLogging(l => l.AddFakeLogging()).AddKeepAlive(configuration.GetSection("KeepAlive"));
        _ = tcpSectionOnly ? services.AddHttpClient("orders").UseTcpKeepAlive("edge") : services.AddHttpClient("orders").UseKeepAlive("edge");
        using var provider = services.BuildServiceProvider();
        var profiles = provider.GetRequiredService<IKeepAliveProfiles>();
        profiles.GetProfile("edge").Tcp.Enabled.Should().BeTrue();

        configuration["KeepAlive:Profiles:edge:Tcp:Enabled"] = "false";
        configuration.Reload();

        profiles.GetProfile("edge").Tcp.Enabled.Should().BeTrue("a reload the HttpClient's pool cannot keep is refused and the last valid values stay");
        provider.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(static r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected)
            .Which.Message.Should().Contain(refusal).And.Contain("Fix: enable the Tcp section");
    }

    [Theory]
    [InlineData("30s", "", "Fix: enable the Tcp section (remove \"Enabled\": false; Tcp:IdleTime plus Tcp:Interval below 30s) so the kernel keeps idle connections alive, or use UseKeepAlive(\"edge\") instead, with Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first.")]
    [InlineData("30s", """, "Http": { "PooledConnectionIdleTimeout": "20s", "KeepAlivePingDelay": "10s" }""", "or use UseKeepAlive(\"edge\") instead, with Http:PooledConnectionIdleTimeout below 30s, for example 25s, so the client drops an idle connection first.")] // not applied by UseTcpKeepAlive
    [InlineData("2s", "", "Fix: use UseKeepAlive(\"edge\") instead, with Http:PooledConnectionIdleTimeout below 2s, for example 1s, so the client drops an idle connection first.")]
    [InlineData("1s", "", "Fix: remove Heartbeat:PeerIdleTimeout or raise it above 1s (nothing else can keep or drop the idle connection in time: Tcp:IdleTime and Tcp:Interval are at least 1s and 1s, so the earliest retry leaves after 2s, and Http:PooledConnectionIdleTimeout is at least 1s).")]
    public async Task Start_HttpClientTakingTheTcpSectionOnlyWithTcpOff_HostDoesNotStartAndNamesClientPathValueAndFix(string peer, string http, string fix)
    {
        // Accepted before: UseTcpKeepAlive applies the Tcp section only, which is off, so nothing kept the idle pooled
        // connection the handler's own pool (1m) holds past the middlebox's idle timeout, whatever the Http section said.
        var ex = await TestHosts.StartFailingAsync(Json($$"""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "{{peer}}" }{{http}} }"""), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("orders").UseTcpKeepAlive("edge");
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        // At 2s and 1s the heartbeat's interval (10s by default) is refused too, on its own key.
        ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle(static f => f.StartsWith("KeepAlive:Profiles:edge:Tcp:Enabled: ")).Which.Should()
            .StartWith("KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, HttpClient 'orders' takes the profile with UseTcpKeepAlive(\"edge\"), which applies its Tcp section only (not the Http section: no Http:PooledConnectionIdleTimeout, no HTTP/2 PING), ")
            .And.Contain($"SocketsHttpHandler keeps an idle pooled connection for 1m, not less than Heartbeat:PeerIdleTimeout {peer}: an idle connection has no keep-alive at all")
            .And.EndWith(fix);
    }

    [Theory]
    [InlineData("""{ "Tcp": { "IdleTime": "10s" }, "Heartbeat": { "PeerIdleTimeout": "30s" } }""")] // the Tcp section's probes, within 30s by its own rule
    [InlineData("""{ "Tcp": { "Enabled": false } }""")] // no middlebox stated
    [InlineData("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } }""")] // the pool's own 1m drops it before 5m50s
    public async Task Start_HttpClientTakingTheTcpSectionOnlyKeptOrWithoutAPeer_Starts(string profile) =>
        await StartsAndCreatesOrders(profile, static services => services.AddHttpClient("orders").UseTcpKeepAlive("edge"));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_HttpClientWithUseKeepAliveAndUseTcpKeepAliveUnkept_OneMessage(bool tcpFirst)
    {
        // The client takes the Http section too (UseKeepAlive), so the pool's rule judges it, once: not the Tcp-only rule again.
        var ex = await TestHosts.StartFailingAsync(Json("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" } }"""), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            var orders = services.AddHttpClient("orders");
            _ = tcpFirst ? orders.UseTcpKeepAlive("edge").UseKeepAlive("edge") : orders.UseKeepAlive("edge").UseTcpKeepAlive("edge");
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should()
            .StartWith("KeepAlive:Profiles:edge:Tcp:Enabled: Tcp:Enabled is false, Http:KeepAlivePingDelay is not set").And.NotContain("UseTcpKeepAlive");
    }

    [Fact]
    public async Task Start_HttpClientTakingTheTcpSectionWhereDefaultsApplyTheHttpSection_Starts()
    {
        // ConfigureHttpClientDefaults' UseKeepAlive puts the pool timeout on every client's handler, this one's too.
        await StartsAndCreatesOrders("""{ "Tcp": { "Enabled": false }, "Heartbeat": { "PeerIdleTimeout": "30s" }, "Http": { "PooledConnectionIdleTimeout": "20s" } }""", static services =>
            services.ConfigureHttpClientDefaults(static http => http.UseKeepAlive("edge")).AddHttpClient("orders").UseTcpKeepAlive("edge"));
    }

    [Fact]
    public async Task Start_ProfileInCodeWithBadHttpValue_HostDoesNotStart()
    {
        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", o => o.Http.KeepAlivePingTimeout = TimeSpan.FromMilliseconds(10)));

        ex.Message.Should().Contain("KeepAlive profile 'bulk' (configured in code) Http:KeepAlivePingTimeout: KeepAlivePingTimeout 10ms is below the floor of 1s: ").And.Contain("Fix:");
    }

    // The host starts with the profile 'edge' and the HttpClient 'orders' as clients sets it up, and creates the client.
    private static async Task StartsAndCreatesOrders(string profile, Action<IServiceCollection> clients)
    {
        using var host = TestHosts.Build(Json(profile), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            clients(services);
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").Should().NotBeNull();
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static string Json(string profile) => $$"""{ "KeepAlive": { "Profiles": { "edge": {{profile}} } } }""";

    private static ServiceProvider WebSocketProfiles()
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddFakeLogging());
        services.AddKeepAlive("both", p => (p.WebSocket.KeepAliveInterval, p.WebSocket.KeepAliveTimeout) = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10)));
        services.AddKeepAlive("interval", p => p.WebSocket.KeepAliveInterval = TimeSpan.FromSeconds(20));
        return services.BuildServiceProvider();
    }
}

using System.Collections.Concurrent;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>Reloads through a real host and a real appsettings.json: a bad save never drops protection, a good one is logged once.</summary>
public sealed class ProfileReloadTests
{
    private const string Valid = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s", "Interval": "5s" } } } } }""";

    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "-00:00:01", "Interval": "5s" } } } } }""", "KeepAlive:Profiles:payments:Tcp:IdleTime", "-00:00:01")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdelTime": "45s", "Interval": "5s" } } } } }""", "KeepAlive:Profiles:payments:Tcp:IdelTime", "unknown key 'IdelTime'")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "10", "Interval": "5s" } } } } }""", "KeepAlive:Profiles:payments:Tcp:IdleTime", "'10' has no unit")]
    public async Task Reload_InvalidSave_KeepsLastValidValuesLogsOneErrorAndCountsIt(string saved, string path, string value)
    {
        await using var host = await StartAsync();

        await host.SaveAndWaitForLogAsync(saved, KeepAliveEventIds.ProfileReloadRejected);

        var error = host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle().Which;
        TestContext.Current.TestOutputHelper!.WriteLine(error.Message);
        error.Level.Should().Be(LogLevel.Error);
        error.Message.Should().Contain(path).And.Contain(value).And.Contain("Fix:").And.Contain("keep the last valid values");
        host.Rejected.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["keepalive.profile.name"].Should().Be("payments");
        host.LogsWithId(KeepAliveEventIds.ProfileReloaded).Should().BeEmpty();
        AssertNewSocketsGetLastValidValues(host);
    }

    [Fact]
    public void Reload_InvalidWithoutAMeterFactory_TheRejectedCounterStillCounts()
    {
        // services.AddKeepAlive in a container without AddMetrics(): the heartbeat instruments publish on a meter of their
        // own there, and the reload counter the docs name must too. A collector of meters without a factory hears every such
        // container of the process, other test classes' running in parallel included (HeartbeatConfigurationTests refuses
        // a reload of a profile named payments so): this test's profile has a name of its own, and only its counts are read.
        const string Profile = "counted-without-a-meter-factory";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"KeepAlive:Profiles:{Profile}:Tcp:IdleTime"] = "30s" }).Build();
        using var services = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        services.GetService<System.Diagnostics.Metrics.IMeterFactory>().Should().BeNull();
        using var rejected = new MetricCollector<long>(null, "KeepAlive.Net", "keepalive.profile.reload.rejected");
        services.GetRequiredService<IKeepAliveProfiles>().GetProfile(Profile).Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));

        configuration[$"KeepAlive:Profiles:{Profile}:Tcp:IdleTime"] = "10";
        configuration.Reload();

        services.GetRequiredService<IKeepAliveProfiles>().GetProfile(Profile).Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30), "the last valid value stays");
        rejected.GetMeasurementSnapshot().Where(static m => Equals(m.Tags.GetValueOrDefault("keepalive.profile.name"), Profile))
            .Should().ContainSingle("the refused reload is counted once, on the meter the container made without a factory");
    }

    [Fact]
    public void Reload_ProfileBoundFromTwoSections_AChangeInTheSecondIsAppliedOrRefusedToo()
    {
        // One profile bound from two sections (the bindings combine, the later one winning key by key): a reload that changes
        // only the second section must reach IKeepAliveProfiles and IOptionsMonitor as one that changes the first does.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
            ["Overrides:payments:Tcp:Interval"] = "5s",
        }).Build();
        using var services = new ServiceCollection()
            .AddMetrics() // the counter on this container's meter factory, which no other test's container shares
            .AddKeepAlive(configuration.GetSection("KeepAlive"))
            .AddKeepAlive("payments", configuration.GetSection("Overrides:payments"))
            .BuildServiceProvider();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        var monitor = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<KeepAliveProfileOptions>>();
        profiles.GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(5));
        monitor.Get("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(5));
        using var rejected = new MetricCollector<long>(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "KeepAlive.Net", "keepalive.profile.reload.rejected");

        configuration["Overrides:payments:Tcp:Interval"] = "7s";
        configuration.Reload();

        profiles.GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(7), "the second section's change is a change of the profile");
        monitor.Get("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(7));
        profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));

        configuration["Overrides:payments:Tcp:Interval"] = "7";
        configuration.Reload();

        profiles.GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(7), "the last valid value stays");
        rejected.GetMeasurementSnapshot().Should().ContainSingle("the invalid save of the second section is refused and counted");
    }

    [Fact]
    public void Reload_AnInvalidSaveLandingWhileAValidOneIsTaken_IOptionsMonitorKeepsTheValuesIKeepAliveProfilesTook()
    {
        // Two saves in quick succession: the second (invalid) lands after the first was validated and taken, before
        // IOptionsMonitor rebuilt its value for the first. The monitor must answer with the values taken, as IKeepAliveProfiles
        // does, not rebuild from the configuration of the moment (which threw, left its cache empty and Get throwing).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" }).Build();
        var secondSave = false;
        var services = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));
        services.Configure<KeepAliveProfileOptions>("payments", _ =>
        {
            if (secondSave)
            {
                secondSave = false;
                configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "-1s"; // saved; its reload event is still to come
            }
        });
        using var provider = services.BuildServiceProvider();
        var profiles = provider.GetRequiredService<IKeepAliveProfiles>();
        var monitor = provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<KeepAliveProfileOptions>>();
        profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        monitor.Get("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));

        configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "40s";
        secondSave = true;
        configuration.Reload();

        secondSave.Should().BeFalse("the second save landed while the first was taken");
        profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40), "the first save was valid and taken");
        monitor.Get("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40), "IOptionsMonitor has the values taken");

        configuration.Reload(); // the invalid second save's event
        profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40), "the invalid save is refused");
        monitor.Get("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40), "IOptionsMonitor keeps the last valid values too");
        monitor.Get("PAYMENTS").Should().BeEquivalentTo(profiles.GetProfile("payments"), "one set of values, whichever way it is read (each a copy of its own); profile names are case-insensitive");
    }

    [Fact]
    public async Task Reload_ProfileDeleted_KeepsLastValidValuesAndSaysSo()
    {
        await using var host = await StartAsync();

        await host.SaveAndWaitForLogAsync("""{ "KeepAlive": { "Profiles": { } } }""", KeepAliveEventIds.ProfileReloadRejected);

        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle().Which.Message
            .Should().Contain("KeepAlive:Profiles:payments").And.Contain("gone from the configuration").And.Contain("Fix: restore");
        host.Rejected.GetMeasurementSnapshot().Should().ContainSingle();
        AssertNewSocketsGetLastValidValues(host);
    }

    [Fact]
    public async Task Reload_ProfileAdded_WarnsOnceThatItNeedsARestart()
    {
        await using var host = await StartAsync();

        const string Added = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s", "Interval": "5s" } }, "orders": { "Tcp": { "IdleTime": "20s" } } } } }""";
        await host.SaveAndWaitForLogAsync(Added, KeepAliveEventIds.ProfileAddedAfterStartUp);

        var warning = host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle("one save, however many change events the file watcher raises").Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("KeepAlive:Profiles:orders was added to the configuration after start-up").And.Contain("Fix: restart the service");
        host.LogsWithId(KeepAliveEventIds.ProfileReloaded).Should().BeEmpty("payments did not change");

        // Another save that keeps it: said already.
        await host.SaveAndWaitForLogAsync(Added.Replace("\"45s\"", "\"40s\"", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);
        host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle("the added profile was already reported");
    }

    [Fact]
    public async Task Reload_ProfilesSavedAsAnArray_SaysItIsAnArrayRatherThanThatARestartRegistersIt()
    {
        // The index a JSON array lists reads as a profile "0" added after start-up: "Fix: restart the service to register it"
        // led to a host that refuses to start (a profile named by a number under Profiles is an array written by mistake).
        await using var host = await StartAsync();

        await host.SaveAndWaitForLogAsync("""{ "KeepAlive": { "Profiles": [ { "Tcp": { "IdleTime": "45s", "Interval": "5s" } } ] } }""", KeepAliveEventIds.ProfileAddedAfterStartUp);

        var warning = host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(warning);
        warning.Should().Contain("KeepAlive:Profiles:0").And.Contain("written as an array")
            .And.Contain("Fix: write Profiles as an object keyed by each profile's name, e.g. KeepAlive:Profiles:payments:Tcp:IdleTime")
            .And.NotContain("restart the service to register it");
        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle().Which.Message.Should().Contain("gone from the configuration");
        AssertNewSocketsGetLastValidValues(host);
    }

    [Fact]
    public async Task Reload_SectionAddedForAProfileConfiguredInCodeOnly_WarnsThatTheCodesValuesStayAndWhatARestartApplies()
    {
        // Start-up binds a profile that is in the file and in code from the file, then sets the code's values over it. A reload
        // that lists a profile "orders" registered in code only found it registered, and said nothing, applying nothing.
        const string Added = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s", "Interval": "5s" } }, "orders": { "Tcp": { "IdleTime": "20s", "ProbeCount": 9 } } } } }""";
        static void Register(IServiceCollection services, IConfiguration configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAlive("orders", static o => o.Tcp.ProbeCount = 2);
        await using var host = await FileBackedHost.StartAsync(Valid, Register);

        await host.SaveAndWaitForLogAsync(Added, KeepAliveEventIds.ProfileAddedAfterStartUp);

        var warning = host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle("one save, however many change events the file watcher raises").Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("KeepAlive:Profiles:orders was added to the configuration after start-up")
            .And.Contain("configured in code only").And.Contain("the code's values set over them").And.Contain("Fix: restart the service");
        var defaults = new TcpKeepAliveOptions();
        var tcp = host.Profiles.GetProfile("orders").Tcp;
        (tcp.IdleTime, tcp.ProbeCount).Should().Be((defaults.IdleTime, 2), "the section is not applied before a restart, as the warning says");

        // What the warning says a restart does: the section bound, the code's ProbeCount over its 9.
        using var restarted = TestHosts.Build(Added, Register);
        await restarted.StartAsync(TestContext.Current.CancellationToken);
        var applied = restarted.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("orders").Tcp;
        (applied.IdleTime, applied.ProbeCount).Should().Be((TimeSpan.FromSeconds(20), 2));
    }

    [Fact]
    public async Task Reload_SectionAddedForAProfileBoundFromAnotherPath_WarnsThatItIsNotBoundUntilARestart()
    {
        await using var host = await FileBackedHost.StartAsync("""{ "KeepAlive": { "Profiles": { } }, "Orders": { "Tcp": { "IdleTime": "40s" } } }""", static (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAlive("orders", configuration.GetSection("Orders")));

        await host.SaveAndWaitForLogAsync("""{ "KeepAlive": { "Profiles": { "orders": { "Tcp": { "Interval": "7s" } } } }, "Orders": { "Tcp": { "IdleTime": "40s" } } }""", KeepAliveEventIds.ProfileAddedAfterStartUp);

        host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle().Which.Message
            .Should().Contain("KeepAlive:Profiles:orders was added to the configuration after start-up").And.Contain("binds from Orders only").And.Contain("Fix: restart the service");
        host.Profiles.GetProfile("orders").Tcp.Interval.Should().Be(new TcpKeepAliveOptions().Interval);
    }

    [Fact]
    public async Task Reload_ProfileAddedToASectionThatHeldNone_WarnsAndGetProfileSaysItNeedsARestart()
    {
        await using var host = await FileBackedHost.StartAsync("""{ "KeepAlive": { "Profiles": { } } }""", static (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.SaveAndWaitForLogAsync(Valid, KeepAliveEventIds.ProfileAddedAfterStartUp);

        host.LogsWithId(KeepAliveEventIds.ProfileAddedAfterStartUp).Should().ContainSingle().Which.Message.Should().Contain("KeepAlive:Profiles:payments was added to the configuration after start-up");
        var act = () => host.Profiles.GetProfile("payments");
        act.Should().Throw<KeepAliveProfileNotFoundException>().Which.Message.Should().Contain("KeepAlive:Profiles:payments was added to the configuration after start-up").And.Contain("Fix: restart");
    }

    [Fact]
    public async Task Reload_ProfileEmptiedToAnEmptyObject_IsAcceptedWithTheDefaultsAsAtStartUp()
    {
        // "payments": { } is a profile with the defaults at start-up (docs/CONFIGURATION.md); saving it so is not a deletion.
        await using var host = await StartAsync();

        await host.SaveAndWaitForLogAsync("""{ "KeepAlive": { "Profiles": { "payments": { } } } }""", KeepAliveEventIds.ProfileReloaded);

        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().BeEmpty();
        host.Rejected.GetMeasurementSnapshot().Should().BeEmpty();
        host.Profiles.GetProfile("payments").Tcp.IdleTime.Should().Be(new KeepAliveProfileOptions().Tcp.IdleTime, "an empty profile has the defaults");

        await host.SaveAndWaitForLogAsync("""{ "KeepAlive": { "Profiles": { } } }""", KeepAliveEventIds.ProfileReloadRejected);

        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle("deleting the empty profile is still a deletion").Which.Message
            .Should().Contain("gone from the configuration");
    }

    [Fact]
    public async Task Reload_ValidSave_LogsOnceAndNewSocketsGetTheNewValues()
    {
        await using var host = await StartAsync();

        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "42s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);

        host.LogsWithId(KeepAliveEventIds.ProfileReloaded).Should().ContainSingle("one save is one reload, however many events the file watcher raises");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        host.Profiles.Configure(socket, "payments").IdleTime.Should().Be(TimeSpan.FromSeconds(42));
        host.Rejected.GetMeasurementSnapshot().Should().BeEmpty();
    }

    [Fact]
    public async Task Reload_ValidSaveWithAPingTimeoutThatMayMisfire_WarnsAsStartUpDoes()
    {
        // Start-up warns (event 3005) of a ping timeout shorter than the kernel's dead-peer time; the same values brought in
        // by an accepted reload were taken silently, while the guide promises that nothing degrades silently.
        await using var host = await StartAsync();
        host.LogsWithId(KeepAliveEventIds.PingTimeoutMayMisfire).Should().BeEmpty("the profile starts without pings");

        await host.SaveAndWaitForLogAsync(
            """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s", "Interval": "5s" }, "Http": { "KeepAlivePingDelay": "1s", "KeepAlivePingTimeout": "5s" } } } } }""",
            KeepAliveEventIds.ProfileReloaded);

        var warning = host.LogsWithId(KeepAliveEventIds.PingTimeoutMayMisfire).Should().ContainSingle().Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().Contain("'payments'").And.Contain("Http:KeepAlivePingTimeout is 5s").And.Contain("Fix:");
    }

    [Fact]
    public async Task Reload_InvalidThenFixed_RecoversAndLogsBoth()
    {
        await using var host = await StartAsync();
        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "forty", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloadRejected);

        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "50s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        host.Profiles.Configure(socket, "payments").IdleTime.Should().Be(TimeSpan.FromSeconds(50));
        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle();
    }

    [Fact]
    public async Task Reload_InvalidSave_HttpClientConnectionsKeepLastValidValues()
    {
        await using var server = new MiniHttpServer();
        var configured = new List<KeepAliveSettings>();
        await using var host = await FileBackedHost.StartAsync(Valid, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments", c => c.BaseAddress = server.BaseAddress)
                .UseTcpKeepAlive("payments", o => o.ConnectionConfigured = (_, settings) =>
                {
                    lock (configured)
                    {
                        configured.Add(settings);
                    }
                });
        });

        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "-00:00:01", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloadRejected);
        using var client = host.Host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        var body = await client.GetStringAsync("/pay", TestContext.Current.CancellationToken);

        body.Should().Be("ok", "a typo in the file must not break outbound connections");
        configured.Should().ContainSingle().Which.IdleTime.Should().Be(TimeSpan.FromSeconds(45));
    }

    [Fact]
    public async Task Reload_InvalidSavesWhileClientsAreCreatedOnSeveralThreads_EachTakesOneWholeValidSetNothingThrowsOneErrorPerSave()
    {
        // HttpClients (handlers built again every second, a new connection per request) and client settings made on four
        // threads while the file is saved: invalid (a valid IdleTime beside an invalid Interval), valid, invalid again.
        static string Json(string idle, string interval, string probes, string heartbeat) =>
            $$"""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "{{idle}}", "Interval": "{{interval}}", "ProbeCount": {{probes}} }, "Heartbeat": { "Interval": "{{heartbeat}}" } } } } }""";
        await using var server = new MiniHttpServer();
        var client = new KeepAliveClientDescription("Queue", "QueueOptions.Heartbeat", TimeSpan.FromSeconds(30));
        var seen = new ConcurrentDictionary<string, int>();
        void See(string what, TimeSpan? idle, TimeSpan? interval, int? probes, string heartbeat = "") => seen.AddOrUpdate($"{what} {idle} {interval} {probes} {heartbeat}", 1, static (_, n) => n + 1);
        await using var host = await FileBackedHost.StartAsync(Json("45s", "5s", "4", "10s"), (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddKeepAliveClient("payments", client);
            services.AddHttpClient("payments", c => c.BaseAddress = server.BaseAddress).SetHandlerLifetime(TimeSpan.FromSeconds(1))
                .UseKeepAlive("payments", o => o.ConnectionConfigured = (_, s) => See("tcp", s.IdleTime, s.Interval, s.ProbeCount));
        });
        var factory = host.Host.Services.GetRequiredService<IHttpClientFactory>();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (i % 2 == 0)
                    {
                        using var http = factory.CreateClient("payments");
                        using var request = new HttpRequestMessage(HttpMethod.Get, "/pay") { Headers = { ConnectionClose = true } };
                        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                    }
                    else
                    {
                        var profile = KeepAliveClientSettings.Create(host.Profiles, "payments", client).Profile;
                        See("client", profile.Tcp.IdleTime, profile.Tcp.Interval, profile.Tcp.ProbeCount, profile.Heartbeat.Interval.ToString());
                        await Task.Delay(1, TestContext.Current.CancellationToken);
                    }
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    errors.Enqueue(ex);
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await host.SaveAndWaitForLogAsync(Json("40s", "three", "4", "10s"), KeepAliveEventIds.ProfileReloadRejected);
        await host.SaveAndWaitForLogAsync(Json("50s", "7s", "5", "20s"), KeepAliveEventIds.ProfileReloaded);
        await host.SaveAndWaitForLogAsync(Json("41s", "10", "5", "20s"), KeepAliveEventIds.ProfileReloadRejected);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        errors.Should().BeEmpty("a refused save fails no client");
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, seen.Select(s => $"{s.Value} x {s.Key}")));
        string[] first = ["tcp 00:00:45 00:00:05 4 ", "client 00:00:45 00:00:05 4 00:00:10"];
        string[] second = ["tcp 00:00:50 00:00:07 5 ", "client 00:00:50 00:00:07 5 00:00:20"];
        seen.Keys.Should().BeSubsetOf(first.Concat(second), "every client took one valid set whole, never a refused save's valid keys").And.Contain(second);
        host.LogsWithId(KeepAliveEventIds.ProfileReloadRejected).Should().HaveCount(2, "one error per refused save, however many clients are made");
        host.LogsWithId(KeepAliveEventIds.ProfileReloaded).Should().ContainSingle();
        host.Rejected.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(2);
    }

    [Fact]
    public async Task Reload_HttpSection_HandlersBuiltAfterAValidSaveTakeItAndAfterAnInvalidOneKeepTheLastValid()
    {
        // UseKeepAlive's Http section is read each time the factory builds a handler (every HandlerLifetime): a valid save
        // reaches the next handler, an invalid one (refused, logged) leaves the next handler with the last valid values.
        const string Http = """{ "KeepAlive": { "Profiles": { "payments": { "Http": { "PooledConnectionIdleTimeout": "50s", "ConnectTimeout": "3s" } } } } }""";
        await using var host = await FileBackedHost.StartAsync(Http, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHttpClient("payments").SetHandlerLifetime(TimeSpan.FromSeconds(1)).UseKeepAlive("payments");
        });
        var factory = host.Host.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        HttpClientCompositionTests.Primary(factory.CreateHandler("payments")).PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(50));

        await host.SaveAndWaitForLogAsync(Http.Replace("50s", "40s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);
        (await HttpClientCompositionTests.RebuiltHandlerAsync(factory, "payments")).PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "a valid save reaches the next handler");

        await host.SaveAndWaitForLogAsync(Http.Replace("50s", "-00:00:01", StringComparison.Ordinal).Replace("3s", "9s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloadRejected);
        var next = await HttpClientCompositionTests.RebuiltHandlerAsync(factory, "payments");
        next.PooledConnectionIdleTimeout.Should().Be(TimeSpan.FromSeconds(40), "an invalid save keeps the last valid values");
        next.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(3), "nothing of the refused save is taken, not even its valid keys");
    }

    [Fact]
    public void Reload_AcceptedWhileTheProfilesAreDisposed_FinishesWithoutThrowingIntoTheConfigurationReload()
    {
        // The host stops (its services disposed) while a save is being taken: the reload already running must end quietly,
        // not throw ObjectDisposedException into the configuration's reload (the file watcher's thread).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" }).Build();
        Profiles.KeepAliveProfiles? profiles = null;
        using var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(new OnEvent(KeepAliveEventIds.ProfileReloaded, () => profiles!.Dispose())))
            .AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        profiles = services.GetRequiredService<Profiles.KeepAliveProfiles>();
        var monitor = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<KeepAliveProfileOptions>>(); // listens to accepted reloads
        monitor.Get("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));

        configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "40s";
        var reload = configuration.Reload;

        reload.Should().NotThrow("a reload that meets the profiles' disposal has nothing left to tell");
    }

    [Fact]
    public void Reload_LoggerThrows_ListenersHearOfEveryAcceptedProfileAndTheRefusedOneIsCounted()
    {
        // The application's logging throws for the library's category: each profile's reload log (3002, 3003) was written after
        // its values were taken and before its listeners were told, so the first one that threw left that profile, and every
        // later one of the save, taken but untold (IOptionsMonitor, Kestrel, the client packages) and the refusal uncounted.
        using var broken = new BrokenLogging(LogLevel.Information);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Profiles:refused:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "30s",
        }).Build();
        using var services = new ServiceCollection().AddMetrics()
            .AddLogging(logging => broken.AddTo(logging, "KeepAlive.Net.Hosting"))
            .AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var rejected = new MetricCollector<long>(meters, "KeepAlive.Net", "keepalive.profile.reload.rejected");
        using var failed = new MetricCollector<long>(meters, "KeepAlive.Net", "keepalive.log.failed");
        var monitor = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<KeepAliveProfileOptions>>();
        string[] names = ["orders", "payments", "refused"]; // judged in this order
        names.Select(name => monitor.Get(name).Tcp.IdleTime).Should().AllBeEquivalentTo(TimeSpan.FromSeconds(30), "each is taken, so a reload judges it");
        var heard = new ConcurrentQueue<string?>();
        using var listening = monitor.OnChange((_, name) => heard.Enqueue(name));

        configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "40s";
        configuration["KeepAlive:Profiles:refused:Tcp:IdleTime"] = "10";
        configuration["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "50s";
        var reload = configuration.Reload;

        reload.Should().NotThrow("a log call that throws must not escape into the configuration's reload (the file watcher's thread)");
        heard.Should().BeEquivalentTo(["orders", "payments"], "each accepted profile's listeners hear of it, though its log threw");
        monitor.Get("orders").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(50));
        rejected.GetMeasurementSnapshot().Should().ContainSingle("the refused profile is counted, though its error log threw")
            .Which.Tags["keepalive.profile.name"].Should().Be("refused");
        broken.Records.Should().BeGreaterThanOrEqualTo(3, "3002 twice and 3003 once were logged");
        failed.GetMeasurementSnapshot().Sum(static m => m.Value).Should().Be(broken.Records, "every record the logger threw on is counted");
    }

    [Fact]
    public void Reload_OneReloadOfEachConfiguration_ReloadsTheProfilesOnceAndTakesEveryChange()
    {
        // Every profile section and every section given to AddKeepAlive subscribed to its reload token, and a section's
        // token is its configuration root's: one reload of the root ran KeepAliveProfiles' reload once per subscription
        // (here 5: three profiles, the KeepAlive section, the override), each fingerprinting every profile again.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Profiles:refunds:Tcp:IdleTime"] = "30s",
            ["Overrides:payments:Tcp:Interval"] = "5s",
        }).Build();
        var other = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Audit:Tcp:IdleTime"] = "30s" }).Build();
        var counter = new ReloadTokenCounter();
        using var services = new ServiceCollection()
            .AddKeepAlive(counter.Wrap(configuration.GetSection("KeepAlive")))
            .AddKeepAlive("payments", counter.Wrap(configuration.GetSection("Overrides:payments")))
            .AddKeepAlive("audit", counter.Wrap(other.GetSection("Audit"))) // a configuration of its own
            .BuildServiceProvider();
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        string[] names = ["payments", "orders", "refunds", "audit"];
        names.Select(name => profiles.GetProfile(name).Tcp.IdleTime).Should().AllBeEquivalentTo(TimeSpan.FromSeconds(30));

        int ReloadsOf(Action save)
        {
            var before = counter.Count;
            save();
            return counter.Count - before;
        }

        ReloadsOf(() => Save(configuration, "KeepAlive:Profiles:orders:Tcp:IdleTime", "40s")).Should().Be(1, "one reload of the configuration is one reload of the profiles");
        profiles.GetProfile("orders").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40));
        ReloadsOf(() => Save(configuration, "Overrides:payments:Tcp:Interval", "7s")).Should().Be(1, "the section given to AddKeepAlive separately shares the configuration's reload");
        profiles.GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(7), "a change in the separately given section is still taken");
        ReloadsOf(() => Save(other, "Audit:Tcp:IdleTime", "50s")).Should().Be(1, "the other configuration's reload is watched on its own");
        profiles.GetProfile("audit").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(50));

        static void Save(IConfigurationRoot root, string key, string value)
        {
            root[key] = value;
            root.Reload();
        }
    }

    private static Task<FileBackedHost> StartAsync() =>
        FileBackedHost.StartAsync(Valid, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

    private static void AssertNewSocketsGetLastValidValues(FileBackedHost host)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var settings = host.Profiles.Configure(socket, "payments");
        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(45), "the last valid values stay in force");
        host.Profiles.GetProfile("payments").Tcp.Interval.Should().Be(TimeSpan.FromSeconds(5));
    }

    /// <summary>Runs an action when an event is logged (from within the log call, as a concurrent thread could).</summary>
    private sealed class OnEvent(int eventId, Action action) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId1, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId1.Id == eventId)
            {
                action();
            }
        }

        public void Dispose()
        {
        }
    }
}

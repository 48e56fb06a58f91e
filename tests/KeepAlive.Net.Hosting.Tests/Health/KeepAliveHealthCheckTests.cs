using System.Diagnostics.Metrics;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>The health check's rules on a fake clock, fed through the library's public telemetry (DriftMonitor, the scheduler).</summary>
public sealed class KeepAliveHealthCheckTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PeerIdle = TimeSpan.FromSeconds(60); // idle budget 60 - 10 - 5 (the default spread, half the interval) = 45 s

    [Theory]
    [InlineData(20, "Healthy")]
    [InlineData(30, "Degraded")]
    public async Task CheckHealth_RecentLateness_DegradedOnlyOverHalfTheIdleBudget(int lateSeconds, string expected)
    {
        var time = new FakeTimeProvider();
        using var host = await StartPaymentsAsync(time);
        using var monitor = HealthHosts.Monitor(host, "payments", time);

        var due = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(lateSeconds));
        monitor.RecordSentNow(due);
        var entry = await HealthHosts.CheckAsync(host);

        entry.Status.Should().Be(Enum.Parse<HealthStatus>(expected));
        entry.Data["payments:MaxLatenessSeconds"].Should().Be((double)lateSeconds);
        entry.Data["payments:IdleBudgetSeconds"].Should().Be(45.0);
        ((double)entry.Data["payments:BudgetUsed"]).Should().BeApproximately(lateSeconds / 45.0, 1e-9);
        entry.Data["payments:Heartbeats"].Should().Be(1L);
        if (expected == "Degraded")
        {
            entry.Description.Should().Contain("payments: a heartbeat was 30s late").And.Contain("67% of the idle budget of 45s").And.Contain("over 50%");
        }

        time.Advance(TimeSpan.FromSeconds(70));
        (await HealthHosts.CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy, "lateness older than the 1 minute window no longer counts");
    }

    [Theory]
    [InlineData(0.5, 22_520, "51%", "over 50%")] // 50.04 %: rounded, "50% of the idle budget ..., over 50%" contradicted itself
    [InlineData(0.125, 5_630, "13%", "over 12.5%")] // 12.51 %: with the threshold rounded as well, "13% ..., over 13%"
    [InlineData(0.12999, 5_849.6, "13%", "over 12.999%")] // 12.9991 % over 12.999 %: with the threshold shown to 2 decimals, "13% ..., over 13%"
    [InlineData(0.5, 24_750, "55%", "over 50%")] // exactly 55 %, which is 55.00000000000001 in binary: rounded up, it read "56%"
    [InlineData(0.000001, 0.4, "0.0009%", "over 0.0001%")] // a threshold of 0.0001 %: rounded to 2 decimals, "1% ..., over 0%"
    public async Task CheckHealth_LatenessJustOverTheThreshold_TheDescriptionNeverSaysAShareThatIsNotOverIt(double fraction, double lateMilliseconds, string share, string threshold)
    {
        var entry = await CheckAfterOneLateHeartbeatAsync(fraction, TimeSpan.FromMilliseconds(lateMilliseconds));

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain($"{share} of the idle budget of 45s").And.Contain(threshold);
    }

    [Fact]
    public async Task CheckHealth_DegradedByAHeartbeatTooLittleLateToBeAnalysed_SaysItsCauseWasNotLookedForNotCauseNone()
    {
        // Causes are analysed from DriftWarningThreshold or half the lateness budget on; with a lower DegradedBudgetFraction (or a
        // DriftMonitor, whose budget keeps the spread) a heartbeat under both turns the check Degraded with cause tag "none",
        // which HeartbeatDelayCause documents as "the heartbeat was not delayed".
        var time = new FakeTimeProvider();
        using var host = await StartPaymentsAsync(time, 0.01); // Degraded over 450 ms of the 45 s budget
        using var monitor = HealthHosts.Monitor(host, "payments", time);

        var due = time.GetTimestamp();
        time.Advance(TimeSpan.FromMilliseconds(500));
        monitor.RecordSentNow(due).Cause.Should().Be(HeartbeatDelayCause.None, "500 ms is under DriftWarningThreshold (1s) and half the budget");
        var entry = await HealthHosts.CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().NotContain("cause none")
            .And.Contain("payments: a heartbeat was 500ms late (its cause was not looked for: causes are analysed from Heartbeat:DriftWarningThreshold 1s or half the lateness budget on), 2% of the idle budget of 45s");
    }

    [Theory]
    [InlineData(0.000001, 4_000, "400us")] // over 45us of the 45 s budget: rounded to the millisecond by hand it read "0s late"
    [InlineData(0.01, 23_456_789, "2s346ms")] // measured to the tick: shown to the millisecond, not 2s345ms678.9us
    public async Task CheckHealth_LatenessMeasuredToTheTick_TheDescriptionRoundsItAsTheLibraryDoesNeverToZero(double fraction, long lateTicks, string shown)
    {
        var entry = await CheckAfterOneLateHeartbeatAsync(fraction, TimeSpan.FromTicks(lateTicks));

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain($"payments: a heartbeat was {shown} late (");
    }

    [Fact]
    public async Task CheckHealth_PeersDeclaredDeadAtThreshold_FailureStatusWithCount()
    {
        using var host = await StartUnhealthyAtTwoDeadPeersAsync();
        var scheduler = host.Services.GetRequiredService<IHeartbeatScheduler>();
        using var first = scheduler.Register(SilentPeer(), _ => ValueTask.CompletedTask);

        var one = await PeersDeadAsync(host, 1);
        one.Status.Should().Be(HealthStatus.Healthy, "one dead peer is under the threshold of 2");
        one.Data["payments:PeersDead"].Should().Be(1L);

        using var second = scheduler.Register(SilentPeer(), _ => ValueTask.CompletedTask);
        var two = await PeersDeadAsync(host, 2);
        two.Status.Should().Be(HealthStatus.Unhealthy);
        two.Data["payments:PeersDead"].Should().Be(2L);
        two.Description.Should().Contain("payments: 2 peers declared dead within 1m (threshold 2)");
    }

    [Fact]
    public async Task CheckHealth_OnePeerDeadAtAThresholdOfOne_TheDescriptionSaysOnePeerNotOnePeers()
    {
        // HEALTH.md's strict readiness check (UnhealthyPeerDeadCount = 1) reads one dead peer as a singular.
        using var host = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(o => o.UnhealthyPeerDeadCount = 1);
        });
        using var silent = host.Services.GetRequiredService<IHeartbeatScheduler>().Register(SilentPeer(), _ => ValueTask.CompletedTask);

        var entry = await PeersDeadAsync(host, 1);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Be("payments: 1 peer declared dead within 1m (threshold 1): 1 silent past Heartbeat:Timeout");
    }

    [Fact]
    public async Task CheckHealth_PeersDeadBySilenceAndBySendFailure_TheDescriptionSaysHowManyOfEach()
    {
        // Unhealthy says why: peers silent past Heartbeat:Timeout point at the peers or the network, sends that failed for
        // good (reset, closed) at connections torn down under the heartbeat.
        using var host = await StartUnhealthyAtTwoDeadPeersAsync();
        var scheduler = host.Services.GetRequiredService<IHeartbeatScheduler>();
        using var silent = scheduler.Register(SilentPeer(), _ => ValueTask.CompletedTask);
        await PeersDeadAsync(host, 1);

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closed = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await closed.ConnectAsync((System.Net.IPEndPoint)listener.LocalEndpoint, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
        closed.Dispose(); // the application closed the connection under its heartbeat
        using var failed = scheduler.Register(
            new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromMilliseconds(100) }, async c => await closed.SendAsync(new byte[] { 0 }, c.CancellationToken));
        var entry = await PeersDeadAsync(host, 2);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Be("payments: 2 peers declared dead within 1m (threshold 2): 1 silent past Heartbeat:Timeout, 1 whose heartbeat send failed for good (connection reset or closed)");
    }

    [Fact]
    public async Task Listener_HeartbeatsNamedPerConnection_KeepsOnlyTheProfilesNamesSoMemoryStaysConstant()
    {
        // A service that names each connection's heartbeat (HeartbeatOptions.Name advises against it). The check reads
        // the profiles' names only; a window kept for every other name ever seen would grow for as long as the service runs.
        var time = new FakeTimeProvider();
        using var host = await StartPaymentsAsync(time);
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        for (var connection = 0; connection < 500; connection++)
        {
            using var perConnection = new DriftMonitor(new HeartbeatOptions { Name = $"payments-10.0.0.{connection}", Interval = Interval }, time, null, meters);
            perConnection.RecordSentNow(time.GetTimestamp());
        }

        using var monitor = HealthHosts.Monitor(host, "payments", time);
        monitor.RecordSentNow(time.GetTimestamp());

        host.Services.GetRequiredKeyedService<KeepAliveTelemetryListener>(Options.DefaultName).KeptNames.Should().Be(1, "only 'payments' is ever read");
        (await HealthHosts.CheckAsync(host)).Data["payments:Heartbeats"].Should().Be(1L);
    }

    [Fact]
    public async Task Listener_HeartbeatNameChangedByAReload_TheNewNameIsKeptAndCounted()
    {
        // The listener keeps windows only for the profiles' heartbeat names, a set it builds again when a reload is accepted.
        var (configuration, host) = await StartNamedPaymentsAsync("payments-old");
        using var disposeHost = host;
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        var listener = host.Services.GetRequiredKeyedService<KeepAliveTelemetryListener>(Options.DefaultName);

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "payments-new";
        configuration.Reload();
        using (var renamed = new DriftMonitor(new HeartbeatOptions { Name = "payments-new", Interval = Interval }, null, null, meters))
        {
            renamed.RecordSentNow(TimeProvider.System.GetTimestamp());
        }

        listener.KeptNames.Should().Be(1, "the reloaded name is the one the check reads");
        (await HealthHosts.CheckAsync(host)).Data["payments:Heartbeats"].Should().Be(1L);
    }

    [Fact]
    public async Task Listener_HeartbeatRenamedByReloadsAfterMeasurements_TheOldNamesWindowsAreNotKept()
    {
        // Windows were never dropped: each name a reload renamed away, once measured, stayed for as long as the
        // process ran, though the check never read it again (docs/HEALTH.md: a ring per profile's heartbeat name).
        var (configuration, host) = await StartNamedPaymentsAsync("payments-0");
        using var disposeHost = host;
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        var listener = host.Services.GetRequiredKeyedService<KeepAliveTelemetryListener>(Options.DefaultName);

        for (var rename = 0; rename <= 3; rename++)
        {
            configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = $"payments-{rename}";
            configuration.Reload();
            using var monitor = new DriftMonitor(new HeartbeatOptions { Name = $"payments-{rename}", Interval = Interval }, null, null, meters);
            monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        }

        listener.KeptNames.Should().Be(1, "only the profile's current heartbeat name, payments-3, is read");
        (await HealthHosts.CheckAsync(host)).Data["payments:Heartbeats"].Should().Be(1L);
    }

    [Fact]
    public async Task CheckHealth_SameNameOnAnotherMeterFactory_NotCounted()
    {
        var time = new FakeTimeProvider();
        using var host = await StartPaymentsAsync(time);
        using var otherHost = await HealthHosts.StartAsync(s => HealthHosts.Profile(s, "payments", Interval, PeerIdle));
        using var other = new DriftMonitor(new HeartbeatOptions { Name = "payments", Interval = Interval }, time, null, otherHost.Services.GetRequiredService<IMeterFactory>());

        var due = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(45));
        other.RecordSentNow(due);

        var entry = await HealthHosts.CheckAsync(host);
        entry.Status.Should().Be(HealthStatus.Healthy, "another host's telemetry is not this host's");
        entry.Data["payments:Heartbeats"].Should().Be(0L);
    }

    // A profile that sends no heartbeat (one only Kestrel applies, with listenOptions.UseKeepAlive) was counted in
    // "2 keep-alive profile(s) within budget over the last 1m", as if its heartbeats had been measured.
    [Fact]
    public async Task CheckHealth_ProfileWithABudgetAndNoHeartbeatWithinTheWindow_HealthySayingNothingWasMeasured()
    {
        using var host = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "edge", Interval, PeerIdle);
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive();
        });
        using var monitor = HealthHosts.Monitor(host, "payments");
        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());

        var entry = await HealthHosts.CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["edge:Heartbeats"].Should().Be(0L, "the control: nothing sent for it");
        entry.Description.Should().Be("1 keep-alive profile(s) within budget over the last 1m; no heartbeat within it, so nothing measured: edge");
    }

    [Fact]
    public async Task CheckHealth_ProfileWithoutPeerIdleTimeout_LatenessReportedButNotJudged()
    {
        var time = new FakeTimeProvider();
        using var host = await HealthHosts.StartAsync(s =>
        {
            s.AddSingleton<TimeProvider>(time);
            s.AddKeepAlive("plain", o => o.Heartbeat.Interval = Interval);
            s.AddHealthChecks().AddKeepAlive();
        });
        using var monitor = HealthHosts.Monitor(host, "plain", time);
        var due = time.GetTimestamp();
        time.Advance(TimeSpan.FromMinutes(5));
        monitor.RecordSentNow(due);

        var entry = await HealthHosts.CheckAsync(host);

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["plain:MaxLatenessSeconds"].Should().Be(300.0);
        entry.Data.Should().NotContainKey("plain:BudgetUsed");
        entry.Description.Should().Be("0 keep-alive profile(s) within budget over the last 1m; not judged, without Heartbeat:PeerIdleTimeout (no budget): plain",
            "a profile 5 minutes late that nothing judged is not 'within budget'");
    }

    [Theory]
    [InlineData("Window", "KeepAliveHealthCheckOptions.Window: Window 500ms is below the floor of 1s: ")]
    [InlineData("DegradedBudgetFraction", "KeepAliveHealthCheckOptions.DegradedBudgetFraction: DegradedBudgetFraction 1.5 is above the ceiling of 1: ")]
    [InlineData("UnhealthyPeerDeadCount", "KeepAliveHealthCheckOptions.UnhealthyPeerDeadCount: UnhealthyPeerDeadCount 0 is below the floor of 1: ")]
    public async Task StartAsync_BadThreshold_HostDoesNotStartAndNamesSettingAndFix(string setting, string message)
    {
        var ex = await TestHosts.StartFailingAsync("{}", (s, _) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(o =>
            {
                if (setting == "Window")
                {
                    o.Window = TimeSpan.FromMilliseconds(500);
                }
                else if (setting == "DegradedBudgetFraction")
                {
                    o.DegradedBudgetFraction = 1.5;
                }
                else
                {
                    o.UnhealthyPeerDeadCount = 0;
                }
            });
        });

        ex.Message.Should().Contain(message).And.Contain("Fix:");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task StartAsync_UnhealthyPeerDeadCountBelowOne_IsRefusedWithAReasonThatFitsTheValue(int count)
    {
        // -1 was refused with "UnhealthyPeerDeadCount -1 is below the floor of 1: with 0 the check would be unhealthy ...":
        // a reason about another value than the one given.
        var ex = await TestHosts.StartFailingAsync("{}", (s, _) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(o => o.UnhealthyPeerDeadCount = count);
        });

        ex.Message.Should().Contain($"UnhealthyPeerDeadCount {count} is below the floor of 1: at 0 or below, the check would be unhealthy with no dead peer at all. "
            + "Fix: set it to at least 1, for example 3.");
    }

    [Fact]
    public async Task StartAsync_ThresholdsFromConfiguration_AppliedAndAbsentOnesKeepDefaults()
    {
        // Beside the profiles in one KeepAlive section, which AddKeepAlive reads whole.
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } }, "Health": { "Window": "30s", "UnhealthyPeerDeadCount": 2 } } }
            """;
        using var host = TestHosts.Build(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);

        var options = host.Services.GetRequiredService<IOptions<KeepAliveHealthCheckOptions>>().Value;

        options.Window.Should().Be(TimeSpan.FromSeconds(30));
        options.UnhealthyPeerDeadCount.Should().Be(2);
        options.DegradedBudgetFraction.Should().Be(new KeepAliveHealthCheckOptions().DegradedBudgetFraction);
        (await HealthHosts.CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "Window": "10" }""", "KeepAlive:Health:Window: '10' has no unit")]
    [InlineData("""{ "Windw": "1m" }""", "KeepAlive:Health:Windw: unknown key")]
    [InlineData("""{ "DegradedBudgetFraction": 1.5 }""", "KeepAlive:Health:DegradedBudgetFraction: '1.5' is above the ceiling of 1: ")]
    [InlineData("""{ "UnhealthyPeerDeadCount": "three" }""", "KeepAlive:Health:UnhealthyPeerDeadCount")]
    public async Task StartAsync_BadThresholdInConfiguration_HostDoesNotStartAndNamesThePathAndFix(string health, string message)
    {
        var json = $$"""{ "KeepAlive": { "Health": {{health}} } }""";

        var ex = await TestHosts.StartFailingAsync(json, (s, configuration) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain(message).And.Contain("Fix:");
    }

    [Fact]
    public async Task StartAsync_MisspeltThresholdsSection_HostDoesNotStartAndNamesThePath()
    {
        // The thresholds are under KeepAlive:Health, the code names KeepAlive:Healht: they were silently the defaults.
        const string Json = """{ "KeepAlive": { "Health": { "UnhealthyPeerDeadCount": 1 } } }""";

        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Healht"));
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Healht: no such section in the configuration, or an empty one")
            .And.Contain("the health check would silently run with the default thresholds")
            .And.Contain("Fix:").And.Contain("services.AddHealthChecks().AddKeepAlive()");
    }

    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } }, "Health": { "UnhealthyPeerDeadCount": 1 } } }""")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } } }""")]
    public async Task StartAsync_TheKeepAliveSectionGivenAsTheThresholds_TheFixNamesTheSectionToPassNotToRemoveTheProfiles(string json)
    {
        // AddKeepAlive(configuration.GetSection("KeepAlive")) on the health checks builder: the fix was
        // "KeepAlive:Profiles: unknown key 'Profiles'. Fix: remove it", which would delete every profile.
        var ex = await TestHosts.StartFailingAsync(json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive"));
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive: is the KeepAlive section (it holds ").And.Contain("Fix: services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"))")
            .And.NotContain("remove it").And.NotContain("was called without a section", "it was called with the KeepAlive section");
    }

    [Theory]
    [InlineData(null, "without a section (services.AddHealthChecks().AddKeepAlive() or .AddKeepAlive(o => ...))")]
    [InlineData("Thresholds", "from Thresholds (services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"Thresholds\")))")]
    public async Task StartAsync_ThresholdsInTheKeepAliveSectionButTheCheckReadsNoneOrOthers_TheFixFollowedLiterallyStartsWithOneCheckReadingThem(string? checkSection, string existing)
    {
        // CONFIGURATION.md: the KeepAlive section "may also hold Health"; AddKeepAlive() without the section ignored them
        // silently. The fix said "services.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"))":
        // written beside the call that adds the check, that is a second check named 'keepalive', and the host started with
        // a HealthCheckService that cannot be built (duplicate names), /health failing on every request.
        const string Json = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } }, "Health": { "Window": "2m", "UnhealthyPeerDeadCount": 1 } }, "Thresholds": { "Window": "5m" } }""";
        void AddCheck(IServiceCollection services, IConfiguration configuration)
        {
            _ = checkSection is null ? services.AddHealthChecks().AddKeepAlive() : services.AddHealthChecks().AddKeepAlive(configuration.GetSection(checkSection));
        }

        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            AddCheck(s, configuration);
        });

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain("KeepAlive:Health: holds the health check's thresholds, but no keep-alive health check reads it")
            .And.Contain($"Fix: replace the call that adds the check named 'keepalive' {existing} with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\")) (not a second call beside it: that adds a second check of that name), or remove KeepAlive:Health.");

        // The fix, followed: the call replaced. The host starts with one keep-alive check, which reads KeepAlive:Health.
        using var fixedHost = TestHosts.Build(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
        });
        await fixedHost.StartAsync(TestContext.Current.CancellationToken);
        fixedHost.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Should().ContainSingle().Which.Name.Should().Be("keepalive");
        var report = await fixedHost.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        report.Entries.Keys.Should().Equal("keepalive");
        fixedHost.Services.GetRequiredService<IOptions<KeepAliveHealthCheckOptions>>().Value.Window.Should().Be(TimeSpan.FromMinutes(2), "the check reads KeepAlive:Health");
        await fixedHost.StopAsync(TestContext.Current.CancellationToken);

        // What the fix warns of: the call added beside the one already there, a second check of the same name.
        using var twice = TestHosts.Build(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            AddCheck(s, configuration);
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
        });
        twice.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(static r => r.Name).Should().Equal("keepalive", "keepalive");
        FluentActions.Invoking(() => twice.Services.GetRequiredService<HealthCheckService>()).Should().Throw<ArgumentException>().WithMessage("*Duplicate health checks*keepalive*");
    }

    [Theory]
    [InlineData(false, "call services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\")), which adds the check named 'keepalive' to read them, or replace the call that adds the check named 'keepalive-ready' without a section (services.AddHealthChecks().AddKeepAlive(o => ..., name: \"keepalive-ready\")) with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"), name: \"keepalive-ready\"), or the call that adds the check named 'keepalive-live' from Health:Live (services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"Health:Live\"), name: \"keepalive-live\")) with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"), name: \"keepalive-live\") (not a second call beside it: that adds a second check of that name), or remove KeepAlive:Health.")]
    [InlineData(true, "replace the call that adds the check named 'keepalive' without a section (services.AddHealthChecks().AddKeepAlive() or .AddKeepAlive(o => ...)) with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\")), or the call that adds the check named 'keepalive-ready' without a section (services.AddHealthChecks().AddKeepAlive(o => ..., name: \"keepalive-ready\")) with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"), name: \"keepalive-ready\"), or the call that adds the check named 'keepalive-live' from Health:Live (services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"Health:Live\"), name: \"keepalive-live\")) with services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"), name: \"keepalive-live\") (not a second call beside it: that adds a second check of that name), or remove KeepAlive:Health.")]
    public async Task StartAsync_ThresholdsInTheKeepAliveSectionButNamedChecksReadNone_TheFixNamesEachCallThatWorksAndTheNamedOneFollowedStarts(bool defaultCheckAdded, string fix)
    {
        // Since a check from configuration takes a name, each check added can read the section under its own name. The fix
        // named only the check 'keepalive' (add it, or replace its call): a user with a check "keepalive-ready" set in code was
        // not told that AddKeepAlive(configuration.GetSection("KeepAlive:Health"), name: "keepalive-ready") works as well.
        const string Json = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } }, "Health": { "Window": "2m" } }, "Health": { "Live": { "Window": "5m" } } }""";
        void AddChecks(IServiceCollection services, IConfiguration configuration, bool readyFromKeepAliveHealth)
        {
            var checks = services.AddHealthChecks();
            _ = defaultCheckAdded ? checks.AddKeepAlive() : checks;
            _ = readyFromKeepAliveHealth
                ? checks.AddKeepAlive(configuration.GetSection("KeepAlive:Health"), name: "keepalive-ready", tags: ["ready"])
                : checks.AddKeepAlive(o => o.UnhealthyPeerDeadCount = 1, name: "keepalive-ready", tags: ["ready"]);
            checks.AddKeepAlive(configuration.GetSection("Health:Live"), name: "keepalive-live");
        }

        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            AddChecks(s, configuration, readyFromKeepAliveHealth: false);
        });

        // Each check's thresholds are validated on their own (an AggregateException when several fail).
        var failures = (ex is AggregateException all ? all.InnerExceptions : [ex]).Should().AllBeOfType<OptionsValidationException>().Which.SelectMany(static e => e.Failures).ToList();
        failures.ForEach(TestContext.Current.TestOutputHelper!.WriteLine);
        failures.Should().Contain("KeepAlive:Health: holds the health check's thresholds, but no keep-alive health check reads it (services.AddHealthChecks().AddKeepAlive(...) was given Health:Live), so they would be silently ignored. Fix: " + fix);

        // The named fix, followed: the check 'keepalive-ready' reads KeepAlive:Health, under its name and with its tag.
        using var host = TestHosts.Build(Json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            AddChecks(s, configuration, readyFromKeepAliveHealth: true);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var ready = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Should().ContainSingle(static r => r.Name == "keepalive-ready").Which;
        ready.Tags.Should().Equal("ready");
        host.Services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get("keepalive-ready").Window.Should().Be(TimeSpan.FromMinutes(2), "the check reads KeepAlive:Health");
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        report.Entries.Keys.Should().Contain("keepalive-ready");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StartAsync_ThresholdsInTheKeepAliveSectionButNoHealthCheckAdded_HostDoesNotStartAndSaysHowToAddIt()
    {
        // Thresholds written under KeepAlive:Health while AddHealthChecks().AddKeepAlive(...) is never called: nothing read
        // them and nothing said so (the sibling case, a check added without its section, already stopped the host).
        const string Json = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } }, "Health": { "UnhealthyPeerDeadCount": 1 } } }""";

        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) => s.AddKeepAlive(configuration.GetSection("KeepAlive")));

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Health: holds the health check's thresholds, but no keep-alive health check is added")
            .And.Contain("Fix: call services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\")), or remove KeepAlive:Health.");
    }

    [Fact]
    public async Task CheckHealth_ProfileReloadRejected_DegradedNamingTheRefusalUntilAGoodSave()
    {
        // A refused reload keeps the last valid values and logs one Error; the health endpoint went on saying Healthy while
        // the file and the running values disagreed.
        const string Valid = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s" } } } } }""";
        await using var host = await FileBackedHost.StartAsync(Valid, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive();
        });
        (await HealthHosts.CheckAsync(host.Host)).Status.Should().Be(HealthStatus.Healthy);

        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "45", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloadRejected);

        var refused = await HealthHosts.CheckAsync(host.Host);
        TestContext.Current.TestOutputHelper!.WriteLine(refused.Description ?? "(no description)");
        refused.Status.Should().Be(HealthStatus.Degraded, "the running values are not the configuration's");
        refused.Description.Should().Contain("payments: the configuration's latest change was refused").And.Contain("KeepAlive:Profiles:payments:Tcp:IdleTime").And.Contain("last valid values").And.Contain("Fix:");
        refused.Data.Should().ContainKey("payments:ReloadRejected");

        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "50s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);

        var fixedEntry = await HealthHosts.CheckAsync(host.Host);
        fixedEntry.Status.Should().Be(HealthStatus.Healthy, "the accepted save ends the disagreement");
        fixedEntry.Data.Should().NotContainKey("payments:ReloadRejected");
    }

    [Fact]
    public async Task StartAsync_NoProfiles_HostDoesNotStartAndSaysToAddOne()
    {
        var ex = await TestHosts.StartFailingAsync("{}", (s, _) => s.AddHealthChecks().AddKeepAlive());

        ex.Message.Should().Contain("no keep-alive profile to judge").And.Contain("Fix: register the profiles");
    }

    // Two profiles whose heartbeats report under one name (one's Heartbeat:Name is the other's, or the other profile's
    // name): the check reads telemetry by that name, so each profile was judged by the other's lateness and dead peers.
    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { }, "payments-eu": { "Heartbeat": { "Name": "Payments" } } } } }""", "'payments' and 'payments-eu'", "'payments'")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "a": { "Heartbeat": { "Name": "shared" } }, "b": { "Heartbeat": { "Name": "shared" } } } } }""", "'a' and 'b'", "'shared'")]
    public async Task StartAsync_TwoProfilesReportingUnderOneHeartbeatName_HostDoesNotStartAndSaysToNameEach(string json, string profiles, string name)
    {
        var ex = await TestHosts.StartFailingAsync(json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive();
        });

        ex.Message.Should().Contain($"Profiles {profiles} report their heartbeats under one name, {name}").And.Contain("cannot tell them apart").And.Contain("Fix: give each profile its own Heartbeat:Name");
    }

    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { "a": { "Heartbeat": { "Name": "shared" } }, "b": { "Heartbeat": { "Name": "shared" } } } } }""", "Profiles 'a' and 'b' report their heartbeats under one name, 'shared'")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { } }, "Health": { "Window": "2m" } } }""", "KeepAlive:Health: holds the health check's thresholds, but no keep-alive health check reads it")]
    [InlineData("{}", "has no keep-alive profile to judge")]
    public async Task StartAsync_SeveralChecksAndAFindingAboutThemAll_HostStopsSayingItOnce(string json, string finding)
    {
        // Each check's thresholds are validated on their own, and each validation said the findings that concern every check
        // (profiles sharing a heartbeat name, thresholds no check reads, no profile at all): three checks, the host stopped
        // with an AggregateException saying each of them three times.
        var ex = await TestHosts.StartFailingAsync(json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks()
                .AddKeepAlive(configure: null, name: "keepalive-ready", tags: ["ready"])
                .AddKeepAlive(o => o.UnhealthyPeerDeadCount = 5, name: "keepalive-live")
                .AddKeepAlive();
        });

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures.ToList();
        failures.ForEach(TestContext.Current.TestOutputHelper!.WriteLine);
        failures.Should().ContainSingle().Which.Should().Contain(finding);
    }

    // Profiles bound from sections of their own: the fix must name the key the user edits, not KeepAlive:Profiles:<name>.
    [Fact]
    public async Task StartAsync_TwoProfilesFromOtherSectionsReportingUnderOneHeartbeatName_TheFixNamesTheRealPath()
    {
        const string Json = """{ "Services": { "A": { "KeepAlive": { "Heartbeat": { "Name": "shared" } } }, "B": { "KeepAlive": { "Heartbeat": { "Name": "shared" } } } } }""";
        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) =>
        {
            s.AddKeepAlive("a", configuration.GetSection("Services:A:KeepAlive"));
            s.AddKeepAlive("b", configuration.GetSection("Services:B:KeepAlive"));
            s.AddHealthChecks().AddKeepAlive();
        });

        ex.Message.Should().Contain("report their heartbeats under one name, 'shared'")
            .And.MatchRegex(@"Fix: give each profile its own Heartbeat:Name \(Services:[AB]:KeepAlive:Heartbeat:Name\)")
            .And.NotContain("KeepAlive:Profiles:", "neither profile is bound from KeepAlive:Profiles");
    }

    [Fact]
    public async Task StartAsync_TwoProfilesReportingUnderOneHeartbeatNameWithoutAHealthCheck_HostStarts()
    {
        // Only the health check reads telemetry by name: without it, one name for two profiles (one dashboard) is the user's choice.
        using var host = TestHosts.Build("""{ "KeepAlive": { "Profiles": { "a": { "Heartbeat": { "Name": "shared" } }, "b": { "Heartbeat": { "Name": "shared" } } } } }""",
            (s, configuration) => s.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);
        host.Services.GetRequiredService<IKeepAliveProfiles>().Names.Should().BeEquivalentTo(["a", "b"]);
    }

    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { } } }""")]
    [InlineData("""{ "KeepAlvie": { "Profiles": { "payments": { } } } }""")]
    public async Task StartAsync_KeepAliveSectionWithNoProfile_HostDoesNotStartAndSaysToAddOne(string json)
    {
        // AddKeepAlive(section) registers the profiles' service even when the section lists none: the check would judge
        // nothing and report Healthy ("0 keep-alive profile(s) within budget").
        var ex = await TestHosts.StartFailingAsync(json, (s, configuration) =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive();
        });

        ex.Message.Should().Contain("no keep-alive profile to judge").And.Contain("Fix: register the profiles");
    }

    [Fact]
    public async Task CheckHealth_TwoRegistrationsWithTheirOwnThresholds_EachJudgesByItsOwn()
    {
        // A strict check for readiness and a lenient one for liveness: each keeps the thresholds it was given
        // (they were one set of options, the last registration's values silently used by both).
        using var host = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks()
                .AddKeepAlive(o => { o.UnhealthyPeerDeadCount = 1; o.Window = TimeSpan.FromSeconds(30); }, name: "strict")
                .AddKeepAlive(o => { o.UnhealthyPeerDeadCount = 5; o.Window = TimeSpan.FromMinutes(2); }, name: "lenient", failureStatus: HealthStatus.Degraded);
        });
        var scheduler = host.Services.GetRequiredService<IHeartbeatScheduler>();
        var options = new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(300) };
        using var registration = scheduler.Register(options, _ => ValueTask.CompletedTask);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HealthReport report;
        do
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        }
        while (((long)report.Entries["strict"].Data["payments:PeersDead"] < 1 || (long)report.Entries["lenient"].Data["payments:PeersDead"] < 1) && DateTime.UtcNow < deadline);

        var strict = report.Entries["strict"];
        var lenient = report.Entries["lenient"];
        strict.Data["UnhealthyPeerDeadCount"].Should().Be(1);
        strict.Data["WindowSeconds"].Should().Be(30.0);
        strict.Status.Should().Be(HealthStatus.Unhealthy, "one dead peer reaches the strict check's threshold of 1");
        lenient.Data["UnhealthyPeerDeadCount"].Should().Be(5);
        lenient.Data["WindowSeconds"].Should().Be(120.0);
        lenient.Status.Should().Be(HealthStatus.Healthy, "one dead peer is under the lenient check's threshold of 5");
    }

    [Fact]
    public async Task StartAsync_BadThresholdInANamedRegistration_NamesTheRegistration()
    {
        var ex = await TestHosts.StartFailingAsync("{}", (s, _) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive().AddKeepAlive(o => o.Window = TimeSpan.FromMilliseconds(500), name: "strict");
        });

        ex.Message.Should().Contain("health check 'strict': KeepAliveHealthCheckOptions.Window: Window 500ms is below the floor of 1s: ").And.Contain("Fix:");
    }

    [Fact]
    public async Task CheckHealth_ChecksFromConfigurationWithTheirOwnNamesStatusesAndTags_ATagFilterRunsOnlyItsCheckWithItsSection()
    {
        // HEALTH.md's readiness and liveness checks with their thresholds in appsettings: the section overload took no name,
        // failure status or tags, so a check read from configuration could not be tagged for /health/ready nor added twice.
        const string Json = """{ "Health": { "Ready": { "UnhealthyPeerDeadCount": 1, "Window": "30s" }, "Live": { "UnhealthyPeerDeadCount": 5, "Window": "2m" } } }""";
        using var host = TestHosts.Build(Json, (s, configuration) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks()
                .AddKeepAlive(configuration.GetSection("Health:Ready"), name: "keepalive-ready", failureStatus: HealthStatus.Degraded, tags: ["ready"])
                .AddKeepAlive(configuration.GetSection("Health:Live"), name: "keepalive-live", tags: ["live"]);
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var silent = host.Services.GetRequiredService<IHeartbeatScheduler>().Register(SilentPeer(), _ => ValueTask.CompletedTask);

        var ready = await PeersDeadAsync(host, 1, static r => r.Tags.Contains("ready"));
        var live = await PeersDeadAsync(host, 1, static r => r.Tags.Contains("live"));

        ready.Entries.Keys.Should().Equal("keepalive-ready");
        var readiness = ready.Entries["keepalive-ready"];
        readiness.Data["UnhealthyPeerDeadCount"].Should().Be(1, "Health:Ready says 1");
        readiness.Data["WindowSeconds"].Should().Be(30.0, "Health:Ready says 30s");
        readiness.Status.Should().Be(HealthStatus.Degraded, "one dead peer reaches Health:Ready's threshold, and the check's failure status is Degraded");
        live.Entries.Keys.Should().Equal("keepalive-live");
        var liveness = live.Entries["keepalive-live"];
        liveness.Data["UnhealthyPeerDeadCount"].Should().Be(5, "Health:Live says 5");
        liveness.Data["WindowSeconds"].Should().Be(120.0, "Health:Live says 2m");
        liveness.Status.Should().Be(HealthStatus.Healthy, "one dead peer is under Health:Live's threshold of 5");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StartAsync_BadThresholdOfANamedCheckFromConfiguration_HostDoesNotStartAndNamesItsPath()
    {
        // The section's refusals are kept under the check's options name: read under another, '10' would be refused by no one
        // and the check would run silently with the default window.
        const string Json = """{ "Health": { "Ready": { "Window": "10" } } }""";

        var ex = await TestHosts.StartFailingAsync(Json, (s, configuration) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive(configuration.GetSection("Health:Ready"), name: "keepalive-ready", tags: ["ready"]);
        });

        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("Health:Ready:Window: '10' has no unit").And.Contain("Fix:");
    }

    [Fact]
    public void AddKeepAlive_TwoChecksFromConfigurationUnderOneName_HealthCheckServiceRefusesTheDuplicate()
    {
        const string Json = """{ "Health": { "Ready": { "Window": "30s" }, "Live": { "Window": "2m" } } }""";
        using var host = TestHosts.Build(Json, (s, configuration) =>
        {
            HealthHosts.Profile(s, "payments", Interval, PeerIdle);
            s.AddHealthChecks()
                .AddKeepAlive(configuration.GetSection("Health:Ready"), name: "keepalive-probe")
                .AddKeepAlive(configuration.GetSection("Health:Live"), name: "keepalive-probe");
        });

        host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(static r => r.Name).Should().Equal("keepalive-probe", "keepalive-probe");
        FluentActions.Invoking(() => host.Services.GetRequiredService<HealthCheckService>()).Should().Throw<ArgumentException>().WithMessage("*Duplicate health checks*keepalive-probe*");
    }

    [Fact]
    public void AddKeepAlive_NullBuilderOrBlankName_Refused()
    {
        FluentActions.Invoking(() => ((IHealthChecksBuilder)null!).AddKeepAlive()).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new ServiceCollection().AddHealthChecks().AddKeepAlive(configure: null, name: " ")).Should().Throw<ArgumentException>();

        // From configuration too, and before the section's reading is registered: nothing is left half added.
        var services = new ServiceCollection();
        var builder = services.AddHealthChecks();
        var registered = services.Count;
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Health:Window"] = "30s" }).Build().GetSection("Health");
        FluentActions.Invoking(() => builder.AddKeepAlive(section, " ")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
        services.Should().HaveCount(registered);
    }

    /// <summary>Checks health until the profile's dead-peer count reaches <paramref name="count"/> (the counter is recorded on a scheduler thread).</summary>
    /// <summary>A host with the profile 'payments' whose keep-alive health check is Unhealthy at 2 dead peers.</summary>
    private static Task<Microsoft.Extensions.Hosting.IHost> StartUnhealthyAtTwoDeadPeersAsync() => HealthHosts.StartAsync(s =>
    {
        HealthHosts.Profile(s, "payments", Interval, PeerIdle);
        s.AddHealthChecks().AddKeepAlive(o => o.UnhealthyPeerDeadCount = 2);
    });

    /// <summary>A heartbeat of 'payments' whose peer, never heard from, is declared dead after 300 ms.</summary>
    private static HeartbeatOptions SilentPeer() => new() { Name = "payments", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(300) };

    private static async Task<HealthReportEntry> PeersDeadAsync(Microsoft.Extensions.Hosting.IHost host, long count) =>
        (await PeersDeadAsync(host, count, static _ => true)).Entries["keepalive"];

    // The report of the checks the predicate selects once each has counted that many dead peers of payments.
    private static async Task<HealthReport> PeersDeadAsync(Microsoft.Extensions.Hosting.IHost host, long count, Func<HealthCheckRegistration, bool> predicate)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(predicate, TestContext.Current.CancellationToken);
            if (report.Entries.Values.All(e => (long)e.Data["payments:PeersDead"] >= count) || DateTime.UtcNow > deadline)
            {
                return report;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A host with the profile 'payments' and the keep-alive health check, on <paramref name="time"/>.</summary>
    // The check's entry after one heartbeat of payments was sent late by that much, on a fake clock.
    private static async Task<HealthReportEntry> CheckAfterOneLateHeartbeatAsync(double degradedBudgetFraction, TimeSpan late)
    {
        var time = new FakeTimeProvider();
        using var host = await StartPaymentsAsync(time, degradedBudgetFraction);
        using var monitor = HealthHosts.Monitor(host, "payments", time);
        var due = time.GetTimestamp();
        time.Advance(late);
        monitor.RecordSentNow(due);
        return await HealthHosts.CheckAsync(host);
    }

    // The payments profile from configuration, its heartbeat named heartbeatName, for a test to reload.
    private static async Task<(IConfigurationRoot Configuration, Microsoft.Extensions.Hosting.IHost Host)> StartNamedPaymentsAsync(string heartbeatName)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
            ["KeepAlive:Profiles:payments:Heartbeat:PeerIdleTimeout"] = "1m",
            ["KeepAlive:Profiles:payments:Heartbeat:Name"] = heartbeatName,
        }).Build();
        var host = await HealthHosts.StartAsync(s =>
        {
            s.AddKeepAlive(configuration.GetSection("KeepAlive"));
            s.AddHealthChecks().AddKeepAlive();
        });
        return (configuration, host);
    }

    private static Task<Microsoft.Extensions.Hosting.IHost> StartPaymentsAsync(FakeTimeProvider time, double? degradedBudgetFraction = null) => HealthHosts.StartAsync(s =>
    {
        s.AddSingleton<TimeProvider>(time);
        HealthHosts.Profile(s, "payments", Interval, PeerIdle);
        s.AddHealthChecks().AddKeepAlive(o => o.DegradedBudgetFraction = degradedBudgetFraction ?? o.DegradedBudgetFraction);
    });
}

using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The shared rules of the client packages (Redis, RabbitMQ, Npgsql, NATS): what a profile sets on a client, what it refuses, and reloads.</summary>
public sealed class KeepAliveClientSettingsTests
{
    private static readonly KeepAliveClientDescription Client = new("TestClient", "TestOptions.Heartbeat", TimeSpan.FromMinutes(1)) { MaxHeartbeatInterval = TimeSpan.FromSeconds(65535) };

    /// <summary>A client with a heartbeat timeout, whose own heartbeat comes every 20 s.</summary>
    private static readonly KeepAliveClientDescription TimedClient = new("TimedClient", "TimedOptions.Heartbeat", TimeSpan.FromSeconds(20)) { HeartbeatTimeoutSetting = "TimedOptions.Timeout" };

    [Fact]
    public void IsIntervalSet_DefaultOrBoundOrSetInCode_TellsASetValueFromTheDefault()
    {
        new HeartbeatOptions().IsIntervalSet.Should().BeFalse("10 s is the default, not a choice");
        new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10) }.IsIntervalSet.Should().BeTrue("set explicitly, even to the default's value");

        using var fromFile = Profiles(("KeepAlive:Profiles:a:Heartbeat:Interval", "10s"), ("KeepAlive:Profiles:b:Heartbeat:Timeout", "30s"));
        fromFile.GetRequiredService<IKeepAliveProfiles>().GetProfile("a").Heartbeat.IsIntervalSet.Should().BeTrue();
        fromFile.GetRequiredService<IKeepAliveProfiles>().GetProfile("b").Heartbeat.IsIntervalSet.Should().BeFalse("the file sets only the timeout");
    }

    [Fact]
    public void Create_IntervalSet_WholeSecondsRoundedDownAndReported()
    {
        using var services = InCode(p => p.Heartbeat.Interval = TimeSpan.FromMilliseconds(2500));

        var settings = KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        settings.HeartbeatInterval.Should().Be(TimeSpan.FromSeconds(2), "clients count whole seconds; rounding down is never later than asked");
        settings.Adjustments.Should().ContainSingle().Which.Should().Contain("Heartbeat:Interval 2s500ms is rounded down to 2s for TestOptions.Heartbeat");
        settings.Tcp.Should().NotBeNull();
    }

    [Fact]
    public void Create_IntervalNotSet_NoHeartbeatSoTheClientKeepsItsOwn()
    {
        using var services = InCode(p => p.Heartbeat.Timeout = TimeSpan.FromSeconds(30));

        var settings = KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        settings.HeartbeatInterval.Should().BeNull();
        settings.HeartbeatTimeout.Should().BeNull("this client has no heartbeat timeout setting");
        KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", new KeepAliveClientDescription("C", "H", TimeSpan.FromSeconds(20)) { HeartbeatTimeoutSetting = "T" })
            .HeartbeatTimeout.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Create_UnknownProfile_ThrowsNamingTheClientAndListingTheRegisteredOnes()
    {
        using var services = InCode(_ => { });

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "nope", Client);

        act.Should().Throw<InvalidOperationException>().WithMessage("No KeepAlive profile named 'nope' is registered (registered: 'p'), but the client TestClient uses it.*Fix:*, or give the client TestClient a registered profile ('p').");
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void EmptyProfileName_RegistrationAndLookupRefusedSayingItIsEmpty(string name)
    {
        using var services = InCode(_ => { });

        var lookup = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), name, Client);
        var registration = () => new ServiceCollection().AddKeepAlive(name, _ => { });

        lookup.Should().Throw<InvalidOperationException>().WithMessage("The KeepAlive profile name is empty (registered: 'p')*Fix: pass the profile's name*")
            .Which.Message.Should().NotContain("add a \"", "a section with an empty name is no fix");
        registration.Should().Throw<ArgumentException>().WithMessage("The KeepAlive profile name is empty or blank*Fix: pass the profile's name*");
    }

    [Fact]
    public void Create_HeartbeatOverThePeerIdleBudget_RefusedWithTheProfileRulesMessage()
    {
        using var services = InCode(p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromMinutes(3);
            p.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.AwsAlb;
        });

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f =>
            f.StartsWith("KeepAlive profile 'p' (configured in code) Heartbeat:Interval: Interval is 3m, over the limit of 30s", StringComparison.Ordinal) && f.Contains("Fix:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("KeepAlive:Profiles:p:Heartbeat:Interval", "500ms", "KeepAlive:Profiles:p:Heartbeat:Interval: Heartbeat:Interval is 500ms, but TestClient counts TestOptions.Heartbeat in whole seconds")]
    [InlineData("KeepAlive:Profiles:p:Tcp:Enabled", "false", "KeepAlive:Profiles:p:Tcp:Enabled: the profile sets nothing TestClient can use: Tcp:Enabled is false and Heartbeat:Interval is not set")]
    public void Create_ProfileUnsuitedToTheClient_RefusedWithThePathTheValueAndTheFix(string key, string value, string expected)
    {
        using var services = Profiles((key, value));

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.StartsWith(expected, StringComparison.Ordinal) && f.Contains("Fix:", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_IntervalBelowOneSecond_TheFixSpeaksOfThisClientNotAnother()
    {
        // The sub-second refusal is shared by every client that counts whole seconds: it said "(RabbitMQ reads 0 as "the
        // server decides")" to a Redis or Npgsql user, a sentence about a client they do not use.
        using var services = Profiles(("KeepAlive:Profiles:p:Heartbeat:Interval", "500ms"));

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().Contain("below 1s it would round to 0, which TestClient does not take as an interval").And.NotContain("RabbitMQ");
    }

    [Fact]
    public void Create_HeartbeatAboveWhatTheClientCarries_Refused()
    {
        using var services = InCode(p => p.Heartbeat.Interval = TimeSpan.FromSeconds(45));
        var shortClient = new KeepAliveClientDescription("ShortClient", "ShortOptions.Heartbeat", TimeSpan.FromSeconds(30)) { MaxHeartbeatInterval = TimeSpan.FromSeconds(30) };

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", shortClient);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().Be("KeepAlive profile 'p' (configured in code) Heartbeat:Interval: Heartbeat:Interval is 45s, above the 30s that ShortClient can carry in ShortOptions.Heartbeat. Fix: set Heartbeat:Interval to at most 30s.");
    }

    [Fact]
    public void Create_AnotherImplementationOfIKeepAliveProfiles_RefusalNamesTheProfileByNameThroughTheOneRuleWithNoOriginItCannotKnow()
    {
        // A decorator of IKeepAliveProfiles (here one around a profile configured in code) has no registration to name the
        // profile's path or origin: "(configured in code)" would be a guess. The name alone, by ProfileSource's rule.
        using var services = InCode(p => p.Heartbeat.Interval = TimeSpan.FromSeconds(45));
        var shortClient = new KeepAliveClientDescription("ShortClient", "ShortOptions.Heartbeat", TimeSpan.FromSeconds(30)) { MaxHeartbeatInterval = TimeSpan.FromSeconds(30) };
        var another = new ReloadAfterRead(services.GetRequiredService<IKeepAliveProfiles>(), static () => { });

        var act = () => KeepAliveClientSettings.Create(another, "p", shortClient);

        var failure = act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which;
        failure.Should().Be("KeepAlive profile 'p' Heartbeat:Interval: Heartbeat:Interval is 45s, above the 30s that ShortClient can carry in ShortOptions.Heartbeat. Fix: set Heartbeat:Interval to at most 30s.");
        failure.Should().StartWith(ProfileSource.SettingByName("p", "Heartbeat:Interval") + ": ", "ProfileSource names every profile in messages");
    }

    [Fact]
    public async Task AddKeepAliveClient_ProfileUnsuitedToTheClient_HostStopsAtStartUp()
    {
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Interval": "250ms" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is 250ms, but TestClient counts").And.Contain("Fix: set Heartbeat:Interval to at least \"1s\"");
    }

    [Fact]
    public async Task AddKeepAliveClient_NoIntervalAndTheClientsOwnHeartbeatOverThePeerIdleBudget_HostStopsNamingTheClientsDefaultAndTheFix()
    {
        // The profile's 10 s default interval was judged (within 15 s of a 30 s peer), not the client's own 60 s that it keeps:
        // the host started, and the peer's idle timeout would fire between two of the client's heartbeats.
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "10s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "30s" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is not set, so TestClient keeps its own TestOptions.Heartbeat, 1m by default, over the limit of 15s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 30s: the peer would drop an idle connection before the client's heartbeat reaches it (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: set Heartbeat:Interval, which TestClient takes as TestOptions.Heartbeat, to at most 15s (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Fact]
    public async Task AddKeepAliveClient_NoIntervalAndAPeerIdleTimeoutUnderTheTenSecondDefault_HostStopsSayingOnlyTheClientsOwnHeartbeat()
    {
        // A 15 s peer allows 7.5 s. The client keeps its own 1m, which is refused; the library's 10 s default, which the client
        // never sends, was refused as well: two messages about one Interval, one of them about a value nobody set or sends.
        const string Json = """{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "5s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "15s" } } } } }""";
        var error = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith(
            "KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is not set, so TestClient keeps its own TestOptions.Heartbeat, 1m by default, over the limit of 7s500ms = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 15s");

        // A client whose own heartbeat beats the peer suits the profile: the 10 s default is not what it sends.
        var fast = new KeepAliveClientDescription("FastClient", "FastOptions.Heartbeat", TimeSpan.FromSeconds(5));
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", fast));
        await host.StartAsync(TestContext.Current.CancellationToken);

        // The heartbeat the host itself would send with the profile is the 10 s default, and is still refused when registered.
        var register = () => host.Services.GetRequiredService<IHeartbeatScheduler>().Register(host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("cache").Heartbeat, static _ => ValueTask.CompletedTask);
        register.Should().Throw<ArgumentException>().WithMessage("*Interval is 10s (the default: Interval is not set), over the limit of 7s500ms*");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddKeepAliveClient_NoIntervalAndATimeoutUnderTheTenSecondDefault_HostStopsSayingOnlyTheClientsOwnHeartbeat()
    {
        // 5 s is refused for the client's own 20 s heartbeat; it was refused as well for the library's 10 s default, which the
        // client never sends: two messages on Heartbeat:Timeout, the first about an interval nobody set or sends.
        const string Json = """{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Timeout": "5s" } } } } }""";
        var error = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", TimedClient));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith(
            "KeepAlive:Profiles:cache:Heartbeat:Timeout: Heartbeat:Timeout is 5s, not longer than TimedClient's own TimedOptions.Heartbeat, 20s by default");

        // Without a client library the profile's heartbeat is the one the host sends, the 10 s default, judged at start-up.
        (await TestHosts.ProfilesFailAsync(Json)).Should().Contain("KeepAlive:Profiles:cache:Heartbeat:Timeout: Timeout is 5s, not longer than Interval (10s, the default: Interval is not set)");

        // A Timeout outside its own range is refused by that range, for a client's profile too.
        var outOfRange = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Timeout": "2d" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", TimedClient));
        outOfRange.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Timeout: '2d' is above the ceiling of 1d");
    }

    [Theory]
    [InlineData("""{ "Jitter": "15s" }""", "Heartbeat:Jitter 15s is", "Jitter", "Jitter is 15s, not less than Interval (10s, the default: Interval is not set)")]
    [InlineData("""{ "Spread": "12s" }""", "Heartbeat:Spread 12s is", "Spread", "Spread is 12s, not less than Interval (10s, the default: Interval is not set)")]
    [InlineData("""{ "PeerIdleTimeout": "25s", "Jitter": "9s", "Spread": "9s" }""", "Heartbeat:Jitter 9s and Heartbeat:Spread 9s are", "Spread", "Interval 10s + Jitter 9s + Spread 9s reach PeerIdleTimeout 25s")]
    public async Task AddKeepAliveClient_NoIntervalAndAJitterOrSpreadTheTenSecondDefaultCannotTake_HostStartsAndTheClientSaysItUsesNeither(string heartbeat, string unused, string refusedKey, string refusal)
    {
        // The client sends its own heartbeat (5 s here) from its own timer, with no jitter or spread. The host stopped on the
        // core's Jitter and Spread rules judged against the library's 10 s default, which the client never sends either.
        var json = $$"""{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "5s", "Interval": "5s" }, "Heartbeat": {{heartbeat}} } } } }""";
        var fast = new KeepAliveClientDescription("FastClient", "FastOptions.Heartbeat", TimeSpan.FromSeconds(5));
        using var host = TestHosts.Build(json, (services, configuration) => services.AddLogging(static l => l.AddFakeLogging()).AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", fast));
        await host.StartAsync(TestContext.Current.CancellationToken);

        // The client's judgement is the one said: the values are not used.
        KeepAliveClientSettings.Create(host.Services.GetRequiredService<IKeepAliveProfiles>(), "cache", fast).ReportApplied([]);
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientProfileApplied).Which.Message.Should().Be(
            $"FastClient uses KeepAlive profile 'cache': {unused} not used: FastClient sends FastOptions.Heartbeat from its own timer, which has no such setting");

        // A heartbeat the host registers with the profile does use them, with the 10 s default: refused there, and at start-up without a client library.
        var register = () => host.Services.GetRequiredService<IHeartbeatScheduler>().Register(host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("cache").Heartbeat, static _ => ValueTask.CompletedTask);
        register.Should().Throw<ArgumentException>().WithMessage($"*{refusal}*");
        (await TestHosts.ProfilesFailAsync(json)).Should().Contain($"KeepAlive:Profiles:cache:Heartbeat:{refusedKey}: {refusal}");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddKeepAliveClient_JitterOrSpreadOutOfRangeOrNotUnderASetInterval_StillRefused()
    {
        // Only the judgement of the 10 s default is left to the client: a value outside its own range, and one that a set
        // Interval (which the client takes) cannot carry, are refused as for any profile.
        async Task<string> Refused(string heartbeat) =>
            (await TestHosts.StartFailingAsync($$"""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": {{heartbeat}} } } } }""",
                (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", Client)))
            .Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Subject;

        (await Refused("""{ "Jitter": "2h" }""")).Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Jitter: '2h' is above the ceiling of 1h");
        (await Refused("""{ "Spread": "-1s" }""")).Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Spread: '-1s' is below the floor of 0s");
        (await Refused("""{ "Interval": "5s", "Jitter": "6s" }""")).Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Jitter: Jitter is 6s, not less than Interval (5s)");
        (await Refused("""{ "Interval": "5s", "Spread": "5s" }""")).Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Spread: Spread is 5s, not less than Interval (5s)");
    }

    [Fact]
    public async Task AddKeepAlive_NoIntervalAndAPeerIdleTimeoutUnderTheTenSecondDefaultWithoutAClientLibrary_HostStopsSayingTheDefaultInterval()
    {
        // No client uses the profile: its heartbeat is the one the host sends, the 10 s default, judged at start-up.
        var message = await TestHosts.ProfilesFailAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "5s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "15s" } } } } }""");

        message.Should().Contain("KeepAlive:Profiles:cache:Heartbeat:Interval: Interval is 10s (the default: Interval is not set), over the limit of 7s500ms");

        // An HttpClient keeps no heartbeat of its own in place of the default: the profile is judged as one no client uses.
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Tcp": { "IdleTime": "5s", "Interval": "5s" }, "Heartbeat": { "PeerIdleTimeout": "15s" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddHttpClient("payments").UseKeepAlive("cache"));
        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith(
            "KeepAlive:Profiles:cache:Heartbeat:Interval: Interval is 10s (the default: Interval is not set), over the limit of 7s500ms");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1e300)]
    public async Task AddKeepAliveClient_RatioSetInCodeOutsideItsRange_HostStopsNamingTheRatioNotATimeSpanException(double ratio)
    {
        // The client's rule asked HeartbeatOptions.LongestIntervalForPeer of a ratio the profile's own rule refuses: the host
        // stopped with TimeSpan's ArgumentException (NaN) or OverflowException, which names neither the ratio nor the profile.
        var error = await TestHosts.StartFailingAsync("{}", (services, _) => services
            .AddKeepAlive("cache", p => (p.Tcp.IdleTime, p.Tcp.Interval, p.Heartbeat.PeerIdleTimeout, p.Heartbeat.MaxIntervalToPeerIdleRatio) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), ratio))
            .AddKeepAliveClient("cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith(
            "KeepAlive profile 'cache' (configured in code) Heartbeat:MaxIntervalToPeerIdleRatio: MaxIntervalToPeerIdleRatio ");
    }

    [Fact]
    public void Create_NoIntervalAndAClientWithoutAHeartbeatOfItsOwn_RefusedWithTheFix()
    {
        // Tcp on: its probes beat the peer's 30 s, but reach no peer that closes idle connections itself; the client sends nothing.
        using var services = InCode(p => (p.Tcp.IdleTime, p.Tcp.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)));
        var silent = new KeepAliveClientDescription("SilentClient", "SilentOptions.Ping", defaultHeartbeatInterval: null);

        var act = () => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", silent);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "KeepAlive profile 'p' (configured in code) Heartbeat:Interval: Heartbeat:Interval is not set, and SilentClient sends no heartbeat unless told to (SilentOptions.Ping is off by default), so nothing it sends keeps an idle connection within the limit of 15s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 30s: the peer would drop it (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: set Heartbeat:Interval, which SilentClient takes as SilentOptions.Ping, to at most 15s (a value set by hand on the client is not seen here: set it in the profile).");
    }

    [Theory]
    [InlineData("AwsNlb", null)]
    [InlineData("2m", null)]
    [InlineData("1m59s", "Heartbeat:Interval")]
    public void Validate_NoInterval_TheClientsOwnHeartbeatJudgedAgainstThePeerIdleBudget(string peerIdleTimeout, string? refused)
    {
        var profile = new KeepAliveProfileOptions();
        profile.Heartbeat.PeerIdleTimeout = PeerIdleTimeout.Parse(peerIdleTimeout);

        var errors = KeepAliveClientSettings.Validate(profile, Client);

        errors.Select(static e => e.OptionName).Should().BeEquivalentTo(refused is null ? [] : new[] { refused }, "the client's own 1m must be at most half the peer's idle timeout");
        profile.Heartbeat.Interval = TimeSpan.FromSeconds(10);
        KeepAliveClientSettings.Validate(profile, Client).Should().BeEmpty("an interval the profile sets is what the client takes");
    }

    [Theory]
    [InlineData("20s", "Heartbeat:Timeout is 20s, not longer than TimedClient's own TimedOptions.Heartbeat, 20s by default (Heartbeat:Interval is not set): the client sends its heartbeat only that often, so a peer cannot be found silent within 20s: the connection would end later than the timeout says. Fix: set Heartbeat:Interval below 20s, for example 6s (about a third of the timeout), or Heartbeat:Timeout above 20s (a value set by hand on the client is not seen here: set it in the profile).")]
    [InlineData("21s", null)]
    public void Validate_OnlyATimeout_JudgedAgainstTheClientsOwnIntervalNotTheTenSecondDefault(string timeout, string? refused)
    {
        // 15 s passed the profile's rule (longer than its 10 s default interval) while the client's own heartbeat comes every 20 s.
        var profile = new KeepAliveProfileOptions { Heartbeat = { Timeout = KeepAliveDuration.Parse(timeout) } };

        var errors = KeepAliveClientSettings.Validate(profile, TimedClient);

        errors.Select(static e => $"{e.OptionName}: {e.Message}").Should().Equal(refused is null ? [] : ["Heartbeat:Timeout: " + refused]);
        KeepAliveClientSettings.Validate(profile, Client).Should().BeEmpty("a client without a heartbeat timeout does not use it");
        var silent = new KeepAliveClientDescription("SilentClient", "SilentOptions.Ping", defaultHeartbeatInterval: null) { HeartbeatTimeoutSetting = "SilentOptions.Timeout" };
        KeepAliveClientSettings.Validate(profile, silent).Should().ContainSingle().Which.Message.Should().StartWith(
            $"Heartbeat:Timeout is {timeout}, but Heartbeat:Interval is not set and SilentClient sends no heartbeat unless told to (SilentOptions.Ping is off by default), so nothing would time out. Fix: set Heartbeat:Interval below {timeout}");
        profile.Heartbeat.Interval = TimeSpan.FromSeconds(5);
        KeepAliveClientSettings.Validate(profile, TimedClient).Should().BeEmpty("an interval the profile sets is what the client takes");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Description_DefaultHeartbeatNotPositive_RefusedWithTheFix(int milliseconds)
    {
        var act = () => new KeepAliveClientDescription("C", "H", milliseconds == -1 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(milliseconds));

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("The default heartbeat of C's H must be positive. Fix: pass null for a client that sends no heartbeat unless told to*")
            .Which.ParamName.Should().Be("defaultHeartbeatInterval");
    }

    [Fact]
    public async Task AddKeepAliveClient_NameInAnotherCaseThanTheProfile_HostStopsSayingTheFailureOnce()
    {
        // Profile names are case-insensitive: the client's "Cache" was validated once as "Cache" and once as "cache", and the
        // host stopped with an AggregateException holding the same failure twice.
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Interval": "250ms" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("Cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is 250ms, but TestClient counts");
    }

    [Fact]
    public async Task AddKeepAliveClient_TwiceForTheSameClientAndProfile_HostStopsSayingTheFailureOnce()
    {
        // Registered twice (a library's own AddRedisKeepAlive("cache") and the application's), the check ran twice and the
        // host stopped with the same failure said twice.
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Interval": "250ms" } } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("cache", Client).AddKeepAliveClient("Cache", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is 250ms, but TestClient counts");
    }

    [Fact]
    public async Task AddKeepAliveClient_TwiceInAnotherCaseBeforeTheProfileIsRegistered_HostStopsSayingTheFailureOnce()
    {
        // Before services.AddKeepAlive no registration gives the profile's own spelling, so "cache" and "Cache" reach the
        // check as they are written: still one profile (names are case-insensitive), so the same client is checked once.
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Interval": "250ms" } } } } }""",
            (services, configuration) => services.AddKeepAliveClient("cache", Client).AddKeepAliveClient("Cache", Client).AddKeepAlive(configuration.GetSection("KeepAlive")));

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith("KeepAlive:Profiles:cache:Heartbeat:Interval: Heartbeat:Interval is 250ms, but TestClient counts");
    }

    [Fact]
    public async Task AddKeepAliveClient_TwoClientsOnOneProfile_HostStopsSayingEachClientsFailure()
    {
        // Once per client and profile, not per profile: another client on the same profile is checked too.
        var other = new KeepAliveClientDescription("OtherClient", "OtherOptions.Heartbeat", TimeSpan.FromMinutes(1));
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { "Heartbeat": { "Interval": "250ms" } } } } }""",
            (services, configuration) => services.AddKeepAliveClient("cache", Client).AddKeepAliveClient("cache", other).AddKeepAlive(configuration.GetSection("KeepAlive")));

        var failures = error.Should().BeOfType<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(2);
        failures.Should().ContainSingle(f => f.Contains("but TestClient counts", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.Contains("but OtherClient counts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddKeepAliveClient_ProfileNotRegistered_HostStopsAtStartUpListingTheRegisteredOnes()
    {
        var error = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { } } } }""",
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddKeepAliveClient("queue", Client));

        error.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("No KeepAlive profile named 'queue' is registered (registered: 'cache')");
    }

    [Fact]
    public async Task AddKeepAliveClientAndUseKeepAlive_ProfileNotRegistered_HostStopsNamingWhatUsesItWhereToAddItAndTheRegisteredOnes()
    {
        // The refusal said "No KeepAlive profile named 'queue' is registered (registered: 'cache')" and a generic fix: in a host
        // with many clients, nothing said which registration asked for 'queue'.
        var error = await TestHosts.StartFailingAsync("""{ "Services": { "KeepAlive": { "Profiles": { "cache": { }, "db": { } } } } }""", (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("Services:KeepAlive")).AddKeepAliveClient("queue", Client);
            services.AddHttpClient("payments").UseKeepAlive("Queue");
        });

        error.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "No KeepAlive profile named 'queue' is registered (registered: 'cache', 'db'), but the client TestClient and HttpClient 'payments' use it. Fix: add a \"queue\" section at Services:KeepAlive:Profiles:queue, or call services.AddKeepAlive(\"queue\", ...), or give them a registered profile ('cache', 'db').");

        var alone = await TestHosts.StartFailingAsync("""{ "KeepAlive": { "Profiles": { "cache": { } } } }""", (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlive")).AddHttpClient("payments").UseTcpKeepAlive("orders"));
        alone.Should().BeOfType<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Be(
            "No KeepAlive profile named 'orders' is registered (registered: 'cache'), but HttpClient 'payments' uses it. Fix: add a \"orders\" section at KeepAlive:Profiles:orders, or call services.AddKeepAlive(\"orders\", ...), or give HttpClient 'payments' a registered profile ('cache').");
    }

    [Fact]
    public void ConfigureSocket_AfterAReload_NextSocketGetsTheNewValuesAndABadReloadKeepsTheLastGoodOnes()
    {
        var source = new Dictionary<string, string?> { ["KeepAlive:Profiles:p:Tcp:IdleTime"] = "7s" };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(source).Build();
        using var services = Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        var settings = KeepAliveClientSettings.Create(profiles, "p", Client);

        IdleOfANewSocket(settings).Should().Be(TimeSpan.FromSeconds(7));

        configuration["KeepAlive:Profiles:p:Tcp:IdleTime"] = "9s";
        configuration.Reload();
        IdleOfANewSocket(settings).Should().Be(TimeSpan.FromSeconds(9), "a client's next socket (a reconnection) gets the reloaded values");

        configuration["KeepAlive:Profiles:p:Tcp:IdleTime"] = "-1s";
        configuration.Reload();
        IdleOfANewSocket(settings).Should().Be(TimeSpan.FromSeconds(9), "a bad reload keeps the last good values");
        services.GetFakeLogCollector().GetSnapshot().Should().Contain(r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected);
    }

    [Fact]
    public void ConfigureSocket_ReloadTurningTcpOffRightAfterTheProfileIsRead_LeavesTheClientsKeepAliveOn()
    {
        // Tcp:Enabled false means "the client's own keep-alive" for a client. ConfigureSocket decides on one reading of the
        // profile; had it read the values again to apply them, a reload landing in between would hand the core Enabled
        // false, which switches SO_KEEPALIVE off on the client's socket.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:p:Tcp:IdleTime"] = "7s" }).Build();
        using var services = Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var reloadAfterRead = new ReloadAfterRead(services.GetRequiredService<IKeepAliveProfiles>(), () =>
        {
            configuration["KeepAlive:Profiles:p:Tcp:Enabled"] = "false";
            configuration.Reload();
        });
        var settings = KeepAliveClientSettings.Create(reloadAfterRead, "p", Client);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true); // the client's own keep-alive

        reloadAfterRead.Armed = true;
        var applied = settings.ConfigureSocket(socket, "test");

        reloadAfterRead.Armed.Should().BeFalse("the reload happened right after the profile was read");
        services.GetRequiredService<IKeepAliveProfiles>().GetProfile("p").Tcp.Enabled.Should().BeFalse("the reload was accepted");
        applied.Should().NotBeNull().And.Match<KeepAliveSettings>(s => s.Enabled && s.IdleTime == TimeSpan.FromSeconds(7), "the values read are the values applied");
        socket.GetKeepAlive().Enabled.Should().BeTrue("SO_KEEPALIVE is never switched off on a client's socket");
    }

    [Fact]
    public void WarnWhenReloadsAreNotTaken_TwoClientsWithTheSameValues_OneWarningPerReloadNamingEachValueAndTheFix()
    {
        var source = new Dictionary<string, string?> { ["KeepAlive:Profiles:p:Heartbeat:Interval"] = "20s", ["KeepAlive:Profiles:p:Tcp:IdleTime"] = "7500ms" };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(source).Build();
        using var services = Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        static IReadOnlyDictionary<string, string> Idle(KeepAliveClientSettings s) =>
            new Dictionary<string, string> { ["TestOptions.Idle"] = $"{s.ToWholeSeconds(s.Tcp!.IdleTime, "Tcp:IdleTime", "TestOptions.Idle")} s" };
        var first = KeepAliveClientSettings.Create(profiles, "p", Client);
        var second = KeepAliveClientSettings.Create(profiles, "P", Client);
        Idle(first);

        first.WarnWhenReloadsAreNotTaken("make the client again", Idle);
        second.WarnWhenReloadsAreNotTaken("make the client again", Idle);
        configuration["KeepAlive:Profiles:p:Heartbeat:Interval"] = "30s";
        configuration["KeepAlive:Profiles:p:Tcp:IdleTime"] = "9s";
        configuration.Reload();

        first.Adjustments.Should().ContainSingle("the same rounding, converted again, is reported once");
        services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle()
            .Which.Should().Match<FakeLogRecord>(r => r.Level == LogLevel.Warning && r.Message ==
                "TestClient took these values from KeepAlive profile 'p' once, when it was set up, so the reload just accepted does not reach them: TestOptions.Heartbeat stays 20s (the profile now says 30s); TestOptions.Idle stays 7 s (the profile now says 9 s). Fix: make the client again.");
    }

    [Fact]
    public void WarnWhenReloadsAreNotTaken_AReloadTheClientDoesNotSuit_SaysWhyThenOneFixTheRefusalsFirst()
    {
        // The refusal's own full stop was followed by the warning's ". Fix:" ("... own default.. Fix: make the client again.");
        // then the refusal's own "Fix: ..." stayed in the changes and the warning gave its own: "... remove it to keep
        // TestClient's own default. Fix: make the client again.", two fixes, the first not said to come first.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:p:Heartbeat:Interval", "20s")]).Build();
        using var services = Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
        KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client).WarnWhenReloadsAreNotTaken("make the client again");

        configuration["KeepAlive:Profiles:p:Heartbeat:Interval"] = "500ms";
        configuration.Reload();

        var refusal = ((Action)(() => KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client))).Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which;
        var (why, fix) = (refusal[..refusal.LastIndexOf(" Fix: ", StringComparison.Ordinal)], refusal[(refusal.LastIndexOf(" Fix: ", StringComparison.Ordinal) + 6)..^1]);
        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied).Which.Message.Should()
            .Be($"TestClient took these values from KeepAlive profile 'p' once, when it was set up, so the reload just accepted does not reach them: every value stays, and the reloaded profile does not suit TestClient: {why[..^1]}. Fix: {fix}, then make the client again.")
            .And.Subject.Split("Fix:").Should().HaveCount(2, "one fix");
    }

    [Fact]
    public void WarnWhenReloadsAreNotTaken_WhatHeldTheValuesIsCollected_TheNextReloadSaysNothingAndReleasesTheWatcher()
    {
        // The watcher lasted as long as the profiles: clients disposed long ago were still said to keep their values at
        // every reload, and each watcher's subscription was never released.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("KeepAlive:Profiles:p:Heartbeat:Interval", "20s")]).Build();
        using var services = Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        var stillHeld = new object();
        var gone = new[] { WatchHeldByANewObject(profiles, "make the client again"), WatchHeldByANewObject(profiles, "make the other client again") };
        KeepAliveClientSettings.Create(profiles, "p", Client).WarnWhenReloadsAreNotTaken("make the client again", heldBy: stillHeld);
        ((KeepAliveProfiles)profiles).AcceptedReloadWatchers.Should().Be(2, "the same client, fix and values share one watcher");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        gone.Should().OnlyContain(static w => !w.IsAlive, "nothing of the test's holds them");

        configuration["KeepAlive:Profiles:p:Heartbeat:Interval"] = "30s";
        configuration.Reload();

        services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ClientReloadNotApplied).Should().ContainSingle()
            .Which.Message.Should().EndWith("Fix: make the client again.", "a holder of the shared watcher lives; the other watcher's is gone");
        ((KeepAliveProfiles)profiles).AcceptedReloadWatchers.Should().Be(1, "the watcher whose holders are all collected is released at the reload");
        GC.KeepAlive(stillHeld);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WatchHeldByANewObject(IKeepAliveProfiles profiles, string fix)
    {
        var holder = new object();
        KeepAliveClientSettings.Create(profiles, "p", Client).WarnWhenReloadsAreNotTaken(fix, heldBy: holder);
        return new WeakReference(holder);
    }

    [Fact]
    public void ConfigureSocket_NotTcp_NothingAppliedAndSaidAtDebug()
    {
        using var services = InCode(_ => { });
        var settings = KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        settings.ConfigureSocket(unix, "/tmp/redis.sock").Should().BeNull();

        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientConnectionWithoutTcp && r.Level == LogLevel.Debug);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void ConfigureSocket_StreamSocketWithProtocolUnspecified_IsTcpAndConfigured(AddressFamily family)
    {
        using var services = InCode(p => p.Tcp.IdleTime = TimeSpan.FromSeconds(7));
        var settings = KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);
        using var socket = new Socket(family, SocketType.Stream, ProtocolType.Unspecified); // protocol 0: the kernel picks TCP

        settings.ConfigureSocket(socket, "cache:6379").Should().NotBeNull();

        socket.GetKeepAlive().IdleTime.Should().Be(TimeSpan.FromSeconds(7));
        services.GetFakeLogCollector().GetSnapshot().Should().NotContain(r => r.Id.Id == KeepAliveEventIds.ClientConnectionWithoutTcp);
    }

    [Fact]
    public void ReportOverrideAndApplied_LogWhichValueWinsAndWhatWasApplied()
    {
        using var services = InCode(p => p.Heartbeat.Interval = TimeSpan.FromMilliseconds(1500));
        var settings = KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client);

        settings.ReportOverride("TestOptions.Heartbeat", "45 s", "Heartbeat:Interval", "1 s");
        settings.ReportApplied(["heartbeat every 1 s"]);

        var logs = services.GetFakeLogCollector().GetSnapshot();
        logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden && r.Level == LogLevel.Warning)
            .Which.Message.Should().Be("TestClient: TestOptions.Heartbeat was set by hand to 45 s, but KeepAlive profile 'p' sets Heartbeat:Interval, so the profile's 1 s wins. Fix: remove the hand-set TestOptions.Heartbeat, or remove Heartbeat:Interval from the profile to keep your value.");
        logs.Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientProfileApplied && r.Level == LogLevel.Information)
            .Which.Message.Should().Be("TestClient uses KeepAlive profile 'p': heartbeat every 1 s; Heartbeat:Interval 1s500ms is rounded down to 1s for TestOptions.Heartbeat (TestClient counts whole seconds; rounding down never makes it later than asked)");
    }

    [Fact]
    public void ReportOverride_HeartbeatIntervalWithTcpOff_SaysToRemoveItOnlyWhereTheProfileStaysUsableWithoutIt()
    {
        // With Tcp:Enabled false, a profile without Heartbeat:Interval is refused, unless the client takes Heartbeat:Timeout.
        using var services = InCode(p => (p.Tcp.Enabled, p.Heartbeat.Interval, p.Heartbeat.Timeout) = (false, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60)));
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        var withATimeout = TimedClient;

        KeepAliveClientSettings.Create(profiles, "p", Client).ReportOverride("TestOptions.Heartbeat", "45s", "Heartbeat:Interval", "20s");
        KeepAliveClientSettings.Create(profiles, "p", withATimeout).ReportOverride("TimedOptions.Heartbeat", "45s", "Heartbeat:Interval", "20s");

        services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden).Select(r => r.Message).Should().Equal(
            "TestClient: TestOptions.Heartbeat was set by hand to 45s, but KeepAlive profile 'p' sets Heartbeat:Interval, so the profile's 20s wins. Fix: remove the hand-set TestOptions.Heartbeat, or apply no KeepAlive profile to this client (with Tcp:Enabled false, Heartbeat:Interval is all profile 'p' sets for it: without it the profile sets nothing TestClient can use, which is refused at start-up) to keep your value.",
            "TimedClient: TimedOptions.Heartbeat was set by hand to 45s, but KeepAlive profile 'p' sets Heartbeat:Interval, so the profile's 20s wins. Fix: remove the hand-set TimedOptions.Heartbeat, or remove Heartbeat:Interval from the profile to keep your value.");
        KeepAliveClientSettings.Validate(new KeepAliveProfileOptions { Tcp = { Enabled = false }, Heartbeat = { Timeout = TimeSpan.FromSeconds(60) } }, withATimeout)
            .Should().BeEmpty("without Heartbeat:Interval the profile still gives TimedClient its timeout");
    }

    [Fact]
    public void ReportOverride_HeartbeatIntervalUnderAPeerIdleTimeoutTheClientsOwnMisses_SaysToSetYourValueNotToRemoveIt()
    {
        // "Remove Heartbeat:Interval from the profile to keep your value", followed, left the client its own 1m against a
        // 30 s peer, which is refused at start-up.
        using var services = InCode(p => (p.Tcp.IdleTime, p.Tcp.Interval, p.Heartbeat.Interval, p.Heartbeat.PeerIdleTimeout) = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)));
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();

        KeepAliveClientSettings.Create(profiles, "p", Client).ReportOverride("TestOptions.Heartbeat", "12s", "Heartbeat:Interval", "10s");

        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden).Which.Message.Should().Be(
            "TestClient: TestOptions.Heartbeat was set by hand to 12s, but KeepAlive profile 'p' sets Heartbeat:Interval, so the profile's 10s wins. Fix: remove the hand-set TestOptions.Heartbeat, or set Heartbeat:Interval in the profile to your value rather than remove it (without it TestClient keeps its own TestOptions.Heartbeat, 1m, which Heartbeat:PeerIdleTimeout 30s does not allow, and the profile is refused at start-up) to keep your value.");
        var removed = new KeepAliveProfileOptions { Tcp = { IdleTime = TimeSpan.FromSeconds(10), Interval = TimeSpan.FromSeconds(5) }, Heartbeat = { PeerIdleTimeout = TimeSpan.FromSeconds(30) } };
        KeepAliveClientSettings.Validate(removed, Client).Should().ContainSingle("why the fix is not to remove Heartbeat:Interval").Which.OptionName.Should().Be("Heartbeat:Interval");
    }

    [Fact]
    public void ReportOverride_HeartbeatIntervalUnderATimeoutTheClientsOwnMisses_SaysToSetYourValueNotToRemoveIt()
    {
        // "Remove Heartbeat:Interval from the profile to keep your value", followed, left a 15 s Heartbeat:Timeout against the
        // client's own 20 s heartbeat, which is refused at start-up.
        using var services = InCode(p => (p.Heartbeat.Interval, p.Heartbeat.Timeout) = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)));

        KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", TimedClient).ReportOverride("TimedOptions.Heartbeat", "8s", "Heartbeat:Interval", "5s");

        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientOptionOverridden).Which.Message.Should().EndWith(
            "Fix: remove the hand-set TimedOptions.Heartbeat, or set Heartbeat:Interval in the profile to your value rather than remove it (without it TimedClient keeps its own TimedOptions.Heartbeat, 20s, which Heartbeat:Timeout 15s does not allow, and the profile is refused at start-up) to keep your value.");
        KeepAliveClientSettings.Validate(new KeepAliveProfileOptions { Heartbeat = { Timeout = TimeSpan.FromSeconds(15) } }, TimedClient)
            .Should().ContainSingle("why the fix is not to remove Heartbeat:Interval").Which.OptionName.Should().Be("Heartbeat:Timeout");
    }

    [Fact]
    public void ReportApplied_ProfileSetsJitterSpreadOrFixedRate_SaysTheClientCannotUseThem()
    {
        // A profile shared with the library's own heartbeats (Jitter to spread a fleet, Mode FixedRate) lost them on a
        // client without a word: the client's own timer sends its heartbeat, with none of them.
        using var services = InCode(p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(30);
            p.Heartbeat.Mode = HeartbeatMode.FixedRate;
            p.Heartbeat.Jitter = TimeSpan.FromSeconds(2);
            p.Heartbeat.Spread = TimeSpan.FromSeconds(1);
        });
        using var quiet = InCode(p => (p.Heartbeat.Interval, p.Heartbeat.Spread) = (TimeSpan.FromSeconds(30), TimeSpan.Zero));

        KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client).ReportApplied(["heartbeat every 30s"]);
        KeepAliveClientSettings.Create(quiet.GetRequiredService<IKeepAliveProfiles>(), "p", Client).ReportApplied(["heartbeat every 30s"]);

        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientProfileApplied)
            .Which.Message.Should().Be("TestClient uses KeepAlive profile 'p': heartbeat every 30s; Heartbeat:Mode FixedRate, Heartbeat:Jitter 2s and Heartbeat:Spread 1s are not used: TestClient sends TestOptions.Heartbeat from its own timer, which has no such setting");
        quiet.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientProfileApplied)
            .Which.Message.Should().Be("TestClient uses KeepAlive profile 'p': heartbeat every 30s", "the defaults (WhenIdle, no jitter) and a spread of 0 ask nothing the client lacks");
    }

    [Fact]
    public void ReportApplied_ProfileSetsTheDriftOrBlockedCallbackThreshold_SaysTheClientCannotUseThem()
    {
        // Heartbeat:DriftWarningThreshold and Heartbeat:BlockedCallbackThreshold watch the library's own heartbeats: set in a
        // profile applied to a client, whose own timer sends its heartbeat unmeasured, they were dropped without a word.
        using var services = InCode(p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(30);
            p.Heartbeat.DriftWarningThreshold = TimeSpan.FromMilliseconds(200);
            p.Heartbeat.BlockedCallbackThreshold = TimeSpan.FromSeconds(2);
        });

        KeepAliveClientSettings.Create(services.GetRequiredService<IKeepAliveProfiles>(), "p", Client).ReportApplied(["heartbeat every 30s"]);

        services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ClientProfileApplied)
            .Which.Message.Should().Be("TestClient uses KeepAlive profile 'p': heartbeat every 30s; Heartbeat:DriftWarningThreshold 200ms and Heartbeat:BlockedCallbackThreshold 2s are not used: TestClient sends TestOptions.Heartbeat from its own timer, which has no such setting");
    }

    private static TimeSpan? IdleOfANewSocket(KeepAliveClientSettings settings)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        settings.ConfigureSocket(socket, "test").Should().NotBeNull();
        return socket.GetKeepAlive().IdleTime;
    }

    private static ServiceProvider InCode(Action<KeepAliveProfileOptions> configure) => Build(s => s.AddKeepAlive("p", configure));

    private static ServiceProvider Profiles(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
        return Build(s => s.AddKeepAlive(configuration.GetSection("KeepAlive")));
    }

    private static ServiceProvider Build(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
        register(services);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<KeepAliveProfiles>().CaptureAll();
        return provider;
    }
}

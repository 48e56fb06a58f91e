using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Values found by trying to break the reader: each is refused with its path, the value as written and the fix (never
/// a bare exception, never a silent other meaning); a profile's failures come all at once; reloads are watched once.
/// </summary>
public sealed class StrictReadingTests
{
    [Fact]
    public async Task JsonNull_IsTheKeyLeftOutForEverySetting_AsConfigurationDocSays()
    {
        // Configuration providers remove a key by setting it to null (configuration["...:IdleTime"] = null before a reload),
        // so a JSON null is the key left out: a setting's default, unset for one whose default is unset. An empty string of a
        // setting with a default is refused; CONFIGURATION.md grouped null with it, as if null were refused too.
        using var host = TestHosts.Build(TestHosts.Section("Tcp", """{ "IdleTime": null, "ProbeCount": null, "UserTimeout": null }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var tcp = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp;
        var defaults = new TcpKeepAliveOptions();
        (tcp.IdleTime, tcp.ProbeCount, tcp.UserTimeout).Should().Be((defaults.IdleTime, defaults.ProbeCount, defaults.UserTimeout));
        (await TestHosts.ProfilesFailAsync(TestHosts.Section("Tcp", """{ "IdleTime": "" }"""))).Should().Contain("Tcp:IdleTime: is empty");
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        System.Text.RegularExpressions.Regex.Replace(markdown, @"\s+", " ").Should().Contain("A JSON `null` is the key left out, for every setting: its default");
    }

    [Theory]
    [InlineData("Tcp", "IdleTime", "30s")]
    [InlineData("heartbeat", "PeerIdleTimeout", "AwsNlb")]
    public async Task ProfileNameMissing_ASectionListedAsAProfile_FixPutsItUnderAProfileRatherThanRemovingIt(string section, string key, string value)
    {
        // "Profiles": { "Tcp": { "IdleTime": "30s" } }: a profile named Tcp whose keys are a Tcp section's; "remove it" lost the value.
        var message = await TestHosts.ProfilesFailAsync($$"""{ "KeepAlive": { "Profiles": { "{{section}}": { "{{key}}": "{{value}}" } } } }""");

        message.Should().StartWith($"KeepAlive:Profiles:{section}: is a profile named '{section}' that holds the keys of a")
            .And.Contain("the profile's name is missing")
            .And.Contain($"Fix: put the section under a profile's name, e.g. KeepAlive:Profiles:payments:{section}:{key}")
            .And.NotContain("remove it");
    }

    [Theory]
    [InlineData("KeepAlive", """{ "IdleTime": "30s", "Interval": "5s" }""", "KeepAlive:Profiles:payments: holds the keys of a Tcp section (IdleTime, Interval), not a profile's sections: the section's name is missing above them. Fix: put them under KeepAlive:Profiles:payments:Tcp, e.g. KeepAlive:Profiles:payments:Tcp:IdleTime; see docs/CONFIGURATION.md.")]
    [InlineData("KeepAlive", """{ "Interval": "10s" }""", "KeepAlive:Profiles:payments: holds the keys of a Tcp or Heartbeat section (Interval), not a profile's sections: the section's name is missing above them. Fix: put them under KeepAlive:Profiles:payments:Tcp or KeepAlive:Profiles:payments:Heartbeat, e.g. KeepAlive:Profiles:payments:Tcp:Interval; see docs/CONFIGURATION.md.")]
    [InlineData("KeepAlive:Profiles:payments", """{ "Interval": "10s", "PeerIdleTimeout": "AwsNlb" }""", "KeepAlive:Profiles:payments: holds the keys of a Heartbeat section (Interval, PeerIdleTimeout), not a profile's sections: the section's name is missing above them. Fix: put them under KeepAlive:Profiles:payments:Heartbeat, e.g. KeepAlive:Profiles:payments:Heartbeat:Interval; see docs/CONFIGURATION.md.")]
    public async Task SectionNameMissing_AProfileHoldingASectionsKeys_OneRefusalListsEachKeyOnceAndWhereToPutThem(string passed, string profile, string expected)
    {
        // "payments": { "IdleTime": "30s", "Interval": "5s" } (the Tcp level left out) was one "unknown key ... Fix: remove it
        // or use one of the known keys: Tcp, Heartbeat, Http, WebSocket, SignalR" per key: the known keys listed once for each
        // key, and a fix that deletes the values meant.
        var json = $$"""{ "KeepAlive": { "Profiles": { "payments": {{profile}} } } }""";
        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) =>
        {
            if (passed == "KeepAlive")
            {
                services.AddKeepAlive(configuration.GetSection(passed));
            }
            else
            {
                services.AddKeepAlive("payments", configuration.GetSection(passed));
            }
        });

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, failures));
        failures.Should().Equal(expected);
    }

    [Fact]
    public async Task SectionGivenForAProfile_AProfilesTcpSectionPassedToAddKeepAlive_TheFixNamesTheProfilesSection()
    {
        // AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments:Tcp")): the section one level too deep.
        var ex = await TestHosts.StartFailingAsync(TestHosts.Section("Tcp", """{ "IdleTime": "30s", "Interval": "5s" }"""),
            (services, configuration) => services.AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments:Tcp")));

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures;
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, failures));
        failures.Should().Equal("KeepAlive:Profiles:payments:Tcp: holds the keys of a Tcp section (IdleTime, Interval), not a profile's sections: it is the profile's Tcp section. Fix: services.AddKeepAlive(\"payments\", configuration.GetSection(\"KeepAlive:Profiles:payments\")), the section that holds Tcp; see docs/CONFIGURATION.md.");
    }

    [Fact]
    public async Task ProfilesWrittenAsAnArray_IsRefusedNamingTheIndexRatherThanRegisteringProfilesNamedByNumbers()
    {
        // "Profiles": [ { ... } ] reads as keys 0, 1, ... (configuration cannot tell an array from numeric keys): it silently
        // registered profiles named "0", "1", ..., which no UseTcpKeepAlive("payments") ever finds.
        var message = await TestHosts.ProfilesFailAsync("""{ "KeepAlive": { "Profiles": [ { "Tcp": { "IdleTime": "30s" } } ] } }""");

        message.Should().StartWith("KeepAlive:Profiles:0: is a profile named '0'")
            .And.Contain("an array")
            .And.Contain("Fix: write Profiles as an object keyed by each profile's name, e.g. KeepAlive:Profiles:payments:Tcp:IdleTime");
    }

    [Theory]
    [InlineData("Tcp", "IdleTime", "99999999999999999999d", "is above the ceiling of 2h: ")]
    [InlineData("Tcp", "UserTimeout", "-99999999999999999999d", "is below the floor of 1s: ")]
    [InlineData("Heartbeat", "PeerIdleTimeout", "99999999999999999999d", "is above the ceiling of 1d: ")]
    [InlineData("Heartbeat", "Interval", "10675200.00:00:00", "is above the ceiling of 1h: ")]
    [InlineData("Http", "ConnectTimeout", "999999999999999999999999999999999s", "is above the ceiling of 10m: ")]
    [InlineData("Tcp", "ProbeCount", "99999999999", "is above the ceiling of 127: ")]
    [InlineData("Http", "MaxRequestsPerConnection", "-99999999999", "is below the floor of 1: ")]
    [InlineData("Heartbeat", "MaxIntervalToPeerIdleRatio", "1e400", "is not below the ceiling of 1: ")]
    [InlineData("Http", "MaxRequestsPerConnection", "-5", "is below the floor of 1: ")]
    public async Task Start_NumberOutOfRange_SaysOutOfRangeWithTheRangeNotAParseError(string section, string key, string value, string range)
    {
        var message = await TestHosts.ProfilesFailAsync(TestHosts.Section(section, $$"""{ "{{key}}": "{{value}}" }"""));

        message.Should().Contain($"KeepAlive:Profiles:payments:{section}:{key}: '{value}' {range}").And.Contain("Fix: set it ");
        message.Should().NotContain("not a duration").And.NotContain("not a whole number").And.NotContain("not a number");
    }

    [Theory]
    [InlineData("Heartbeat", "Interval", "10s10s", "gives the unit 's' twice")]
    [InlineData("Heartbeat", "Timeout", "24:00:00", "24 hours: .NET would read it as 24 days")]
    [InlineData("Tcp", "IdleTime", "1:30", "ambiguous")]
    [InlineData("Heartbeat", "Mode", "WhenIdle,FixedRate", "is not one of WhenIdle, FixedRate (it takes one name, not a list)")]
    [InlineData("Heartbeat", "Mode", "+1", "is not one of WhenIdle, FixedRate")]
    [InlineData("Heartbeat", "Mode", " 1 ", "is not one of WhenIdle, FixedRate")]
    [InlineData("Tcp", "UnsetValues", "UseDefaults,KeepCurrent", "is not one of UseDefaults, KeepCurrent (it takes one name, not a list)")]
    [InlineData("Http", "KeepAlivePingPolicy", "Always,WithActiveRequests", "(it takes one name, not a list)")]
    [InlineData("Heartbeat", "MaxIntervalToPeerIdleRatio", "NaN", "is not a number")]
    [InlineData("Tcp", "ProbeCount", "3.0", "is not a whole number")]
    public async Task Start_ValueThatWouldMeanSomethingElse_IsRefusedNotReinterpreted(string section, string key, string value, string why)
    {
        var message = await TestHosts.ProfilesFailAsync(TestHosts.Section(section, $$"""{ "{{key}}": "{{value}}" }"""));

        message.Should().Contain($"KeepAlive:Profiles:payments:{section}:{key}: '{value}'").And.Contain(why).And.Contain("Fix:");
    }

    [Theory]
    [InlineData("""{ "Tcp": { "IdelTime": "30s" } }""", "Tcp:IdelTime: unknown key 'IdelTime'. Did you mean 'IdleTime'?")]
    [InlineData("""{ "Tpc": { "IdleTime": "30s" } }""", "KeepAlive:Profiles:payments:Tpc: unknown key 'Tpc'. Did you mean 'Tcp'?")]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "AwsNbl" } }""", "'AwsNbl' is neither a preset nor a duration. Did you mean 'AwsNlb'?")]
    [InlineData("""{ "Heartbeat": { "Mode": "FixedRat" } }""", "'FixedRat' is not one of WhenIdle, FixedRate. Did you mean 'FixedRate'?")]
    public async Task Start_Typo_SuggestsTheClosestName(string profile, string expected)
    {
        var message = await TestHosts.ProfilesFailAsync($$"""{ "KeepAlive": { "Profiles": { "payments": {{profile}} } } }""");

        message.Should().Contain(expected).And.Contain("Fix:");
    }

    [Fact]
    public async Task Start_ReaderAndValidatorFailures_AreReportedAllAtOnce()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp": { "IdelTime": "30s", "ProbeCount": 0, "Interval": "10" },
                "Heartbeat": { "Interval": "40s", "PeerIdleTimeout": "AwsAlb" },
                "Http": { "MaxConnectionAgeJitter": "10s" } } } } }
            """;

        var ex = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures.ToList();
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join('\n', failures));
        failures.Should().HaveCount(5, "an unknown key, two unreadable values and two broken rules are five things to fix, found in one run");
        failures.Should().ContainSingle(f => f.StartsWith("KeepAlive:Profiles:payments:Tcp:IdelTime: unknown key", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("KeepAlive:Profiles:payments:Tcp:ProbeCount: '0' is below the floor of 1", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("KeepAlive:Profiles:payments:Tcp:Interval: '10' has no unit", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("KeepAlive:Profiles:payments:Heartbeat:Interval: Interval is 40s, over the limit of 30s", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("KeepAlive:Profiles:payments:Http:MaxConnectionAgeJitter: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_OutOfRangeValueInADisabledTcpSection_IsNotChecked()
    {
        using var host = TestHosts.Build(TestHosts.Section("Tcp", """{ "Enabled": false, "IdleTime": "3h", "ProbeCount": 500 }"""), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.Enabled.Should().BeFalse("values that are not applied are not validated, as in code");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void GetProfile_Typo_ThrowsProfileNotFoundWithTheClosestName()
    {
        using var provider = new ServiceCollection().AddKeepAlive("payments", o => { }).AddKeepAlive("orders", o => { }).BuildServiceProvider();

        var act = () => provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("paymnets");

        var ex = act.Should().Throw<KeepAliveProfileNotFoundException>().Which;
        ex.ProfileName.Should().Be("paymnets");
        ex.RegisteredNames.Should().BeEquivalentTo("payments", "orders");
        ex.ClosestName.Should().Be("payments");
        ex.Message.Should().Contain("No KeepAlive profile named 'paymnets'").And.Contain("Did you mean 'payments'?").And.Contain("Fix:");
    }

    [Fact]
    public async Task Reload_InvalidValues_OptionsMonitorKeepsTheLastValidValuesAndHearsOnlyAcceptedReloads()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        using var host = await StartPaymentsAsync(builder, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>();
        monitor.Get("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(30));
        var heard = new List<TimeSpan>();
        using var listener = monitor.OnChange((options, name) => heard.Add(options.Tcp.IdleTime));

        Save(builder, "-1s");
        var afterInvalid = monitor.Get("payments").Tcp.IdleTime;
        Save(builder, "42s");
        var afterValid = monitor.Get("payments").Tcp.IdleTime;

        afterInvalid.Should().Be(TimeSpan.FromSeconds(30), "an invalid reload is refused for IOptionsMonitor as for IKeepAliveProfiles");
        afterValid.Should().Be(TimeSpan.FromSeconds(42));
        heard.Should().Equal([TimeSpan.FromSeconds(42)], "one watcher, one notification per accepted reload");
        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(42));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Reload_ProfileRegisteredByTwoCombinedOverloads_OptionsMonitorHearsEachAcceptedReloadOnce()
    {
        // The overloads can be combined (docs/CONFIGURATION.md): the KeepAlive section, and the same profile by its path.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        using var host = await StartPaymentsAsync(builder, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive"))
            .AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments")));
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>();
        var heard = new List<TimeSpan>();
        using var listener = monitor.OnChange((options, name) => heard.Add(options.Tcp.IdleTime));

        Save(builder, "42s");

        heard.Should().Equal([TimeSpan.FromSeconds(42)], "OnChange fires once per accepted save");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task GetProfile_ProfileAddedToTheConfigurationAfterStartUp_NotFoundSayingItNeedsARestart()
    {
        // The set of profiles is read once (CONFIGURATION.md); the fix said to add the section that is already there.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        using var host = await StartPaymentsAsync(builder, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        builder.Configuration["KeepAlive:Profiles:orders:Tcp:IdleTime"] = "20s";
        ((IConfigurationRoot)builder.Configuration).Reload();
        var act = () => host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("orders");

        var ex = act.Should().Throw<KeepAliveProfileNotFoundException>().Which;
        TestContext.Current.TestOutputHelper!.WriteLine(ex.Message);
        ex.ProfileName.Should().Be("orders");
        ex.Message.Should().Contain("KeepAlive:Profiles:orders").And.Contain("after start-up").And.Contain("Fix: restart")
            .And.NotContain("add a \"orders\" section");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    // Starts a host with the profile "payments" (Tcp:IdleTime 30s) in an in-memory configuration, registered by `register`.
    private static async Task<IHost> StartPaymentsAsync(HostApplicationBuilder builder, Action<IServiceCollection, IConfiguration> register)
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" });
        register(builder.Services, builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    private static void Save(HostApplicationBuilder builder, string idleTime)
    {
        builder.Configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = idleTime;
        ((IConfigurationRoot)builder.Configuration).Reload();
    }
}

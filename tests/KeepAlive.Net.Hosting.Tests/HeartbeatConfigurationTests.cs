using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class HeartbeatConfigurationTests
{
    // The shape of DESIGN.md, verbatim.
    private const string ContractJson = """
        {
          "KeepAlive": {
            "Profiles": {
              "payments": {
                "Tcp":       { "IdleTime": "00:00:30", "Interval": "00:00:05", "ProbeCount": 4 },
                "Heartbeat": { "Interval": "00:00:10", "Timeout": "00:00:30", "PeerIdleTimeout": "AwsNlb" }
              }
            }
          }
        }
        """;

    [Fact]
    public async Task AddKeepAlive_ContractShape_BindsTcpAndHeartbeat()
    {
        using var host = TestHosts.Build(ContractJson, (services, configuration) =>
            services.AddKeepAlive("payments", configuration.GetSection("KeepAlive:Profiles:payments")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var profile = host.Services.GetRequiredService<IOptionsMonitor<KeepAliveProfileOptions>>().Get("payments");

        profile.Tcp.ProbeCount.Should().Be(4);
        profile.Heartbeat.Interval.Should().Be(TimeSpan.FromSeconds(10));
        profile.Heartbeat.Timeout.Should().Be(TimeSpan.FromSeconds(30));
        profile.Heartbeat.PeerIdleTimeout.Should().Be(PeerIdleTimeout.AwsNlb);
        profile.Heartbeat.PeerIdleTimeout!.Value.Value.Should().Be(TimeSpan.FromSeconds(350));
        profile.Heartbeat.Name.Should().Be("payments", "the heartbeat is named after its profile unless named otherwise");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("awsnlb", 350, "AwsNlb")]
    [InlineData("AzureLoadBalancer", 240, "AzureLoadBalancer")]
    [InlineData("00:05:50", 350, null)]
    [InlineData("00:02:00", 120, null)]
    public async Task AddKeepAlive_PeerIdleTimeout_BindsPresetOrTime(string text, int seconds, string? preset)
    {
        var json = HeartbeatProfile($$"""{ "PeerIdleTimeout": "{{text}}" }""");
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var peer = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Heartbeat.PeerIdleTimeout!.Value;

        peer.Value.Should().Be(TimeSpan.FromSeconds(seconds));
        peer.PresetName.Should().Be(preset);
    }

    [Theory]
    [InlineData("AzureLoadBalancer")]
    [InlineData("AwsNlb")]
    [InlineData("AwsNatGateway")]
    [InlineData("AwsAlb")]
    [InlineData("GcpCloudNat")]
    public async Task Start_DefaultsWithEveryPreset_BeatThePresetAndStart(string preset)
    {
        var json = HeartbeatProfile($$"""{ "PeerIdleTimeout": "{{preset}}" }""");
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        var profile = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
        var peer = profile.Heartbeat.PeerIdleTimeout!.Value.Value;
        (profile.Tcp.IdleTime + profile.Tcp.Interval).Should().BeLessThan(peer);
        profile.Heartbeat.Interval.Should().BeLessThanOrEqualTo(peer / 2);
    }

    [Fact]
    public async Task Start_UnknownPreset_FailsNamingPathAndPresets()
    {
        var json = HeartbeatProfile("""{ "PeerIdleTimeout": "AwsNbl" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Profiles:payments:Heartbeat:PeerIdleTimeout: 'AwsNbl'").And.Contain("AwsNlb = 5m50s").And.Contain("Fix:");
    }

    [Fact]
    public async Task Start_PeerIdleTimeoutAsSection_FailsNamingPath()
    {
        var json = HeartbeatProfile("""{ "PeerIdleTimeout": { "Value": "00:05:50" } }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("KeepAlive:Profiles:payments:Heartbeat:PeerIdleTimeout: is a section");
    }

    [Fact]
    public async Task Start_UnknownHeartbeatKey_FailsNamingPath()
    {
        var json = HeartbeatProfile("""{ "Intervall": "00:00:10" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Profiles:payments:Heartbeat:Intervall: unknown key").And.Contain("PeerIdleTimeout");
    }

    [Theory]
    [InlineData("""{ "Interval": "00:00:00" }""", "Heartbeat:Interval", "0s", "at least \"1ms\"")]
    [InlineData("""{ "Interval": "00:00:30", "Timeout": "00:00:20" }""", "Heartbeat:Timeout", "20s", "3 x Interval = 1m30s")]
    [InlineData("""{ "Interval": "00:03:00", "PeerIdleTimeout": "AwsNlb" }""", "Heartbeat:Interval", "3m", "at most 2m55s")]
    [InlineData("""{ "Interval": "00:00:40", "PeerIdleTimeout": "AwsAlb" }""", "Heartbeat:Interval", "AwsAlb (1m)", "at most 30s")]
    [InlineData("""{ "Jitter": "00:00:10" }""", "Heartbeat:Jitter", "10s", "less than Interval")]
    [InlineData("""{ "MaxIntervalToPeerIdleRatio": 1.5 }""", "Heartbeat:MaxIntervalToPeerIdleRatio", "1.5", "RabbitMQ uses 0.5")]
    [InlineData("""{ "DriftWarningThreshold": "00:00:00" }""", "Heartbeat:DriftWarningThreshold", "00:00:00", "at least \"1ms\"")]
    [InlineData("""{ "BlockedCallbackThreshold": "-00:00:01" }""", "Heartbeat:BlockedCallbackThreshold", "-00:00:01", "at least \"1ms\"")]
    public async Task Start_InvalidHeartbeat_FailsWithPathValueAndFix(string heartbeatJson, string setting, string value, string fix)
    {
        var json = HeartbeatProfile(heartbeatJson);

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        message.Should().Contain($"KeepAlive:Profiles:payments:{setting}: ").And.Contain(value).And.Contain("Fix:").And.Contain(fix);
    }

    [Fact]
    public async Task Start_ModeThatIsNotAMode_FailsNamingPath()
    {
        var json = HeartbeatProfile("""{ "Mode": "Sometimes" }""");

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Profiles:payments:Heartbeat:Mode").And.Contain("Sometimes").And.Contain("WhenIdle or FixedRate");
    }

    [Fact]
    public async Task Start_TcpIdleBeyondPeerIdleTimeout_FailsWithPathValuesAndFix()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp":       { "IdleTime": "00:05:45", "Interval": "00:00:10" },
                "Heartbeat": { "PeerIdleTimeout": "AwsNlb" } } } } }
            """;

        var ex = await TestHosts.StartFailingAsync(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should()
            .Contain("KeepAlive:Profiles:payments:Tcp:IdleTime: Tcp:IdleTime is 5m45s and Tcp:Interval 10s")
            .And.Contain("AwsNlb (5m50s)")
            .And.Contain("Fix: set Tcp:IdleTime below 5m40s");
    }

    [Theory]
    [InlineData("30s", "40s", "AwsAlb", 60)]
    [InlineData("00:05:45", "00:00:10", "AwsNlb", 350)]
    [InlineData("5m", "6m", "10m", 600)]
    public async Task Start_TcpIdleBeyondPeerIdleTimeout_TheFixsExampleIsAccepted(string idle, string interval, string peer, int peerSeconds)
    {
        // Following the message's example must make the profile start: with an interval over half the peer idle timeout,
        // half the peer idle timeout is not below "the peer idle timeout minus the interval".
        var json = $$"""
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp":       { "IdleTime": "{{idle}}", "Interval": "{{interval}}" },
                "Heartbeat": { "PeerIdleTimeout": "{{peer}}" } } } } }
            """;

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        var example = KeepAliveDuration.Parse(System.Text.RegularExpressions.Regex.Match(message, @"Fix: set Tcp:IdleTime below \S+ \(Heartbeat:PeerIdleTimeout minus Tcp:Interval\), for example (\S+)\.").Groups[1].Value);
        (example + KeepAliveDuration.Parse(interval)).Should().BeLessThan(TimeSpan.FromSeconds(peerSeconds), $"the example Tcp:IdleTime {KeepAliveDuration.Format(example)} must pass the rule it fixes");
    }

    [Theory]
    [InlineData("2s", "1s", "2500ms", "1s500ms")]
    [InlineData("2s", "2s", "3500ms", "1s500ms")]
    public async Task Start_TcpIdleBeyondAPeerIdleTimeoutOfAFractionalSecond_TheFixNamesTheRealBoundAndAnExampleThatFits(string idle, string interval, string peer, string bound)
    {
        // The interval need not change: a whole-second Tcp:IdleTime below PeerIdleTimeout minus Tcp:Interval fits.
        var message = await StartNatProfileFailingAsync(NatProfile(idle, interval, peer));

        message.Should().Contain($"Fix: set Tcp:IdleTime below {bound} (Heartbeat:PeerIdleTimeout minus Tcp:Interval), for example 1s.");
    }

    [Theory]
    [InlineData("2s")]
    [InlineData("1500ms")]
    public async Task Start_PeerIdleTimeoutNoWholeSecondKeepAliveCanBeat_TheFixTurnsTcpOffAndIsAccepted(string peer)
    {
        // Tcp:IdleTime and Tcp:Interval are at least 1 s each, so no Tcp section beats a peer idle timeout of 2 s or less
        // (a 2 s NAT, as probe-idle measures one). The fix must not send the user round in circles ("for example 1s" to a
        // profile that already has 1 s); following it must make the profile start.
        var json = NatProfile("1s", "1s", peer);

        var message = await StartNatProfileFailingAsync(json);

        message.Should().Contain("KeepAlive:Profiles:nat:Tcp:IdleTime: Tcp:IdleTime is 1s and Tcp:Interval 1s")
            .And.Contain("Fix: set Tcp:Enabled to false").And.NotContain("for example 1s");

        using var host = TestHosts.Build(json.Replace("\"IdleTime\": \"1s\", \"Interval\": \"1s\"", "\"Enabled\": false", StringComparison.Ordinal),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
    }

    private static string NatProfile(string idle, string interval, string peer) => $$"""
        { "KeepAlive": { "Profiles": { "nat": {
            "Tcp":       { "IdleTime": "{{idle}}", "Interval": "{{interval}}" },
            "Heartbeat": { "Interval": "500ms", "PeerIdleTimeout": "{{peer}}" } } } } }
        """;

    private static async Task<string> StartNatProfileFailingAsync(string json)
    {
        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        return message;
    }

    [Fact]
    public async Task Start_ProfileInCodeWithPeerIdleTimeoutOutOfRange_OnlyThatValueIsReported()
    {
        // The rules across sections run between values that are each valid, for a profile in code as from configuration:
        // the Tcp section is not judged against a peer idle timeout that is itself refused.
        var ex = await TestHosts.StartFailingAsync("{}", (services, _) => services.AddKeepAlive("bulk", o => o.Heartbeat.PeerIdleTimeout = TimeSpan.FromMilliseconds(500)));

        var failures = ex.Should().BeOfType<OptionsValidationException>().Which.Failures.ToList();
        TestContext.Current.TestOutputHelper!.WriteLine(string.Join(Environment.NewLine, failures));
        failures.Should().Contain(f => f.StartsWith("KeepAlive profile 'bulk' (configured in code) Heartbeat:PeerIdleTimeout: ", StringComparison.Ordinal));
        failures.Should().NotContain(f => f.Contains("Tcp:IdleTime", StringComparison.Ordinal), "Tcp is fine; only the peer idle timeout it would be checked against is wrong");
    }

    [Fact]
    public async Task Start_TcpIdleJustInsidePeerIdleTimeout_Starts()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp":       { "IdleTime": "00:05:39", "Interval": "00:00:10" },
                "Heartbeat": { "PeerIdleTimeout": "00:05:50" } } } } }
            """;
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Start_TcpDisabled_IgnoresPeerIdleTimeoutRuleForTcp()
    {
        const string Json = """
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp":       { "Enabled": false, "IdleTime": "01:00:00" },
                "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } } } } }
            """;
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);
    }

    // An empty or blank Heartbeat:Name would reach logs and the keepalive.heartbeat.name tag as no name at all (the default,
    // the profile's name, replaces only an unset one): refused at start-up, from a file or from code, with the path and the fix.
    [Theory]
    [InlineData("\"\"", null, "KeepAlive:Profiles:payments:Heartbeat:Name: is empty")]
    [InlineData("\" \"", null, "KeepAlive:Profiles:payments:Heartbeat:Name: is blank")]
    [InlineData(null, "", "KeepAlive profile 'payments' (configured in code) Heartbeat:Name: ''")]
    [InlineData(null, " \t", "KeepAlive profile 'payments' (configured in code) Heartbeat:Name: ' \t'")]
    public async Task Start_EmptyOrBlankHeartbeatName_HostDoesNotStartNamingThePathAndTheFix(string? json, string? code, string expected)
    {
        var ex = await TestHosts.StartFailingAsync(json is null ? "{}" : HeartbeatProfile($$"""{ "Name": {{json}} }"""), (services, configuration) =>
        {
            if (json is not null)
            {
                services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            }
            else
            {
                services.AddKeepAlive("payments", o => o.Heartbeat.Name = code);
            }
        });

        ex.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain(expected).And.Contain("Fix:");
    }

    [Fact]
    public void Reload_EmptyHeartbeatName_RefusedAndTheLastValidNameStays()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Heartbeat:Name"] = "payments-gateway",
        }).Build();
        using var provider = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var profiles = (Profiles.KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();
        profiles.CaptureAll();

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "";
        configuration.Reload();

        profiles.GetProfile("payments").Heartbeat.Name.Should().Be("payments-gateway", "a refused reload keeps the last valid values");
        profiles.RefusedChange("payments").Should().Contain("KeepAlive:Profiles:payments:Heartbeat:Name: is empty").And.Contain("Fix:");
    }

    // The value the refusal offers for aligned heartbeats is one to write in the file: Heartbeat:Spread is a duration, and
    // a bare "0" is refused there like any number without a unit.
    [Theory]
    [InlineData("""{ "Interval": "10s", "Spread": "{0}" }""", "10s", @"; (\S+) keeps registrations made together aligned\.")]
    [InlineData("""{ "Interval": "30s", "Jitter": "10s", "Spread": "{0}", "PeerIdleTimeout": "AwsAlb" }""", "20s", @"\((\S+) keeps heartbeats aligned\)")]
    public async Task Start_SpreadRefused_TheAlignedValueTheFixOffersIsAccepted(string heartbeat, string refused, string offer)
    {
        var ex = await TestHosts.StartFailingAsync(HeartbeatProfile(heartbeat.Replace("{0}", refused, StringComparison.Ordinal)),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        var aligned = System.Text.RegularExpressions.Regex.Match(message, offer);
        aligned.Success.Should().BeTrue("the fix offers a value that keeps heartbeats aligned");

        using var host = TestHosts.Build(HeartbeatProfile(heartbeat.Replace("{0}", aligned.Groups[1].Value, StringComparison.Ordinal)),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Heartbeat.EffectiveSpread.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public async Task ConfigurationDoc_SpreadRow_TheAlignedValueItNamesIsAccepted()
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        var row = markdown.Split('\n').Single(static l => l.StartsWith("| `Spread` |", StringComparison.Ordinal));
        var aligned = System.Text.RegularExpressions.Regex.Match(row, @"`([^`]+)` keeps them aligned");
        aligned.Success.Should().BeTrue($"the row says which value keeps heartbeats aligned: {row}");

        using var host = TestHosts.Build(HeartbeatProfile($$"""{ "Spread": {{aligned.Groups[1].Value}} }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Heartbeat.EffectiveSpread.Should().Be(TimeSpan.Zero);
    }

    private static string HeartbeatProfile(string heartbeatJson) =>
        $$"""{ "KeepAlive": { "Profiles": { "payments": { "Heartbeat": {{heartbeatJson}} } } } }""";
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>Durations in profiles mean what people think, and wrong value types are refused instead of ignored.</summary>
public sealed class DurationConfigurationTests
{
    [Theory]
    [InlineData("Tcp", "IdleTime")]
    [InlineData("Tcp", "Interval")]
    [InlineData("Tcp", "UserTimeout")]
    [InlineData("Heartbeat", "Interval")]
    [InlineData("Heartbeat", "Timeout")]
    [InlineData("Heartbeat", "PeerIdleTimeout")]
    [InlineData("Heartbeat", "DriftWarningThreshold")]
    [InlineData("Heartbeat", "Jitter")]
    [InlineData("Heartbeat", "BlockedCallbackThreshold")]
    public async Task Start_BareNumberDuration_FailsNamingPathAndUnitForms(string section, string key)
    {
        var json = TestHosts.Section(section, $$"""{ "{{key}}": "10" }""");

        var message = await TestHosts.ProfilesFailAsync(json);

        message.Should().Contain($"KeepAlive:Profiles:payments:{section}:{key}: '10' has no unit")
            .And.Contain("\"10s\"").And.Contain("\"00:00:10\"").And.Contain("days");
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("250ms", 250)]
    [InlineData("5m", 300_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("00:00:10", 10_000)]
    public async Task AddKeepAlive_DurationWithUnit_Binds(string text, int milliseconds)
    {
        var json = $$"""
            { "KeepAlive": { "Profiles": { "payments": {
                "Tcp": { "UserTimeout": "{{(milliseconds >= 1000 ? text : "1s")}}" },
                "Heartbeat": { "Interval": "{{text}}", "Timeout": "10m" } } } } }
            """;
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var profile = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");

        profile.Heartbeat.Interval.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
        profile.Heartbeat.Timeout.Should().Be(TimeSpan.FromMinutes(10));
        profile.Tcp.UserTimeout.Should().Be(TimeSpan.FromMilliseconds(Math.Max(1000, milliseconds)));
    }

    [Theory]
    [InlineData("Heartbeat", "Interval", "1us", "below the floor of 1ms", "56,000 heartbeats in 2s")]
    [InlineData("Heartbeat", "Interval", "2h", "above the ceiling of 1h", "GCP Cloud NAT")]
    [InlineData("Tcp", "UserTimeout", "10d", "above the ceiling of 1h", "about 15m")]
    [InlineData("Tcp", "UserTimeout", "500ms", "below the floor of 1s", "first lost segment")]
    [InlineData("Tcp", "IdleTime", "500ms", "below the floor of 1s", "whole seconds")]
    [InlineData("Heartbeat", "PeerIdleTimeout", "2d", "above the ceiling of 1d", "20m")]
    [InlineData("Heartbeat", "Jitter", "-1s", "below the floor of 0s", "early")]
    [InlineData("Heartbeat", "Timeout", "500us", "below the floor of 1ms", "answer")]
    public async Task Start_DurationOutsideSaneRange_FailsSayingWhy(string section, string key, string value, string limit, string why)
    {
        var message = await TestHosts.ProfilesFailAsync(TestHosts.Section(section, $$"""{ "{{key}}": "{{value}}" }"""));

        message.Should().Contain($"KeepAlive:Profiles:payments:{section}:{key}: '{value}' is {limit}: ").And.Contain(why).And.Contain("Fix:");
    }

    [Fact]
    public async Task AddKeepAlive_UserTimeoutZero_KeepsOsDefault()
    {
        using var host = TestHosts.Build(TestHosts.Section("Tcp", """{ "UserTimeout": "0s" }"""), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.UserTimeout.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public async Task Configure_UnsetValuesKeepCurrent_WritesOnlyTheKeysInTheFile()
    {
        using var host = TestHosts.Build(TestHosts.Section("Tcp", """{ "UnsetValues": "KeepCurrent", "ProbeCount": 2 }"""), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(44) });

        var settings = host.Services.GetRequiredService<IKeepAliveProfiles>().Configure(socket, "payments");

        settings.ProbeCount.Should().Be(2);
        settings.IdleTime.Should().Be(TimeSpan.FromSeconds(44), "IdleTime is not in the file, so the socket keeps its value");
    }

    [Fact]
    public async Task Configure_RoundedValueOnEveryConnection_WarnsOncePerProfileNotOncePerConnection()
    {
        // Kestrel and HttpClient apply the profile to every connection: the same rounding warned on each one flooded the log.
        using var host = TestHosts.Build(TestHosts.Section("Tcp", """{ "IdleTime": "7600ms" }"""), (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddFakeLogging());
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();

        for (var connection = 0; connection < 3; connection++)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            profiles.Configure(socket, "payments").GetReport(KeepAliveOption.IdleTime)!.Status.Should().Be(KeepAliveOptionStatus.Rounded, "every connection's report still says so");
        }

        host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.KeepAliveOptionRounded)
            .Should().ContainSingle("the profile's values round the same way on every connection");
    }

    [Theory]
    [InlineData("Heartbeat:Interval", "5s", 1)] // another setting: the rounding is the one already said
    [InlineData("Tcp:Interval", "5s", 2)] // the Tcp section changed: its warnings are said again
    public void Configure_AfterAnAcceptedReload_RepeatsTheRoundingWarningOnlyWhenTheTcpSectionChanged(string key, string value, int expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "7600ms",
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
        }).Build();
        using var provider = new ServiceCollection().AddLogging(logging => logging.AddFakeLogging())
            .AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var profiles = provider.GetRequiredService<IKeepAliveProfiles>();
        ConfigureTwice(profiles);

        configuration[$"KeepAlive:Profiles:payments:{key}"] = value;
        configuration.Reload();
        provider.GetFakeLogCollector().GetSnapshot().Should().Contain(r => r.Id.Id == KeepAliveEventIds.ProfileReloaded, "the reload is accepted");
        ConfigureTwice(profiles);

        provider.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == KeepAliveEventIds.KeepAliveOptionRounded)
            .Should().HaveCount(expected, $"a reload of {key} alone {(expected == 1 ? "rounds Tcp:IdleTime as before" : "gives new Tcp values")}");

        static void ConfigureTwice(IKeepAliveProfiles profiles)
        {
            for (var connection = 0; connection < 2; connection++)
            {
                using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                profiles.Configure(socket, "payments").GetReport(KeepAliveOption.IdleTime)!.Status.Should().Be(KeepAliveOptionStatus.Rounded);
            }
        }
    }

    [Theory]
    [InlineData("""{ "UnsetValues": "KeepCurrent", "ProbeCount": 2 }""", "Tcp:IdleTime and Tcp:Interval are")]
    [InlineData("""{ "UnsetValues": "KeepCurrent", "IdleTime": "20s" }""", "Tcp:Interval is")]
    public async Task Start_UnsetValuesKeepCurrentWithAPeerIdleTimeout_RefusedBecauseTheKeptTimesAreNotKnown(string tcp, string expected)
    {
        // The kept values are the socket's (the kernel's 7200 s and 75 s on a fresh one), not the defaults the getters return:
        // checked against the defaults (30 s + 10 s < 60 s), the profile passed while its sockets first probed after 2 h.
        var json = $$"""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": {{tcp}}, "Heartbeat": { "PeerIdleTimeout": "AwsAlb" } } } } }""";

        var ex = await TestHosts.StartFailingAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        ex.Message.Should().Contain("KeepAlive:Profiles:payments:Tcp:IdleTime: " + expected).And.Contain("KeepCurrent").And.Contain("Heartbeat:PeerIdleTimeout").And.Contain("Fix:");
    }

    [Theory]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": "oops" } } } }""", "KeepAlive:Profiles:payments:Tcp: is the value 'oops', but it must be a section")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Heartbeat": "oops" } } } }""", "KeepAlive:Profiles:payments:Heartbeat: is the value 'oops', but it must be a section")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": "oops" } } }""", "KeepAlive:Profiles:payments: is the value 'oops', but it must be a section")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": ["a","b"] } } } } }""", "KeepAlive:Profiles:payments:Tcp:IdleTime: is a section or an array (0 = 'a', 1 = 'b'), but it takes one value")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "ProbeCount": "three" } } } } }""", "KeepAlive:Profiles:payments:Tcp:ProbeCount: 'three' is not a whole number")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "Enabled": "yes" } } } } }""", "KeepAlive:Profiles:payments:Tcp:Enabled: 'yes' is not true or false")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Heartbeat": { "Mode": "1" } } } } }""", "KeepAlive:Profiles:payments:Heartbeat:Mode: '1' is not one of WhenIdle, FixedRate")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Heartbeat": { "PeerIdleTimeout": "AwsNbl" } } } } }""", "KeepAlive:Profiles:payments:Heartbeat:PeerIdleTimeout: 'AwsNbl' is neither a preset nor a duration")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "" } } } } }""", "KeepAlive:Profiles:payments:Tcp:IdleTime: is empty")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Heartbeat": { "Name": "  " } } } } }""", "KeepAlive:Profiles:payments:Heartbeat:Name: is blank")]
    public async Task Start_WrongValueType_FailsNamingPath(string json, string expected)
    {
        var message = await TestHosts.ProfilesFailAsync(json);

        message.Should().Contain(expected).And.Contain("Fix:");
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The profile's SignalR section and the fixed mapping from Heartbeat, as SignalR's client and hub take them.</summary>
public sealed class SignalRProfileTests
{
    [Fact]
    public async Task AddKeepAlive_SignalRSection_BindsEveryKey()
    {
        using var host = TestHosts.Build(Json("""{ "SignalR": { "KeepAliveInterval": "5s", "ServerTimeout": "20s", "ClientTimeoutInterval": "25s" } }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var settings = KeepAliveSignalRSettings.Create(host.Services.GetRequiredService<IKeepAliveProfiles>(), "hub");

        (settings.KeepAliveInterval, settings.ServerTimeout, settings.ClientTimeoutInterval).Should().Be((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(25)));
        settings.ToString().Should().Be("KeepAliveInterval 5s (SignalR:KeepAliveInterval), ServerTimeout 20s (SignalR:ServerTimeout), ClientTimeoutInterval 25s (SignalR:ClientTimeoutInterval)");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "SignalR": { "KeepAliveInterval": "20s", "ServerTimeout": "30s" } }""", "SignalR:ServerTimeout", "SignalR:ServerTimeout is 30s, below twice SignalR:KeepAliveInterval 20s", "set SignalR:ServerTimeout to at least 40s, or SignalR:KeepAliveInterval to at most 15s")]
    [InlineData("""{ "SignalR": { "KeepAliveInterval": "20s", "ClientTimeoutInterval": "39s" } }""", "SignalR:ClientTimeoutInterval", "the hub's ClientTimeoutInterval", "at least 40s")]
    [InlineData("""{ "Heartbeat": { "Interval": "10s", "Timeout": "15s" }, "SignalR": { "ClientTimeoutInterval": "1m" } }""", "Heartbeat:Timeout", "the client's ServerTimeout would be 15s (Heartbeat:Timeout) with a keep-alive interval of 10s (Heartbeat:Interval)", "set Heartbeat:Timeout to at least 20s, or Heartbeat:Interval to at most 7s500ms")]
    [InlineData("""{ "SignalR": { "KeepAliveInterval": "20s", "ServerTimeout": "1m" } }""", "SignalR:ClientTimeoutInterval", "the hub's ClientTimeoutInterval would be 30s (SignalR's default) with a keep-alive interval of 20s (SignalR:KeepAliveInterval)", "set SignalR:ClientTimeoutInterval to at least 40s")]
    [InlineData("""{ "Heartbeat": { "PeerIdleTimeout": "20s" }, "SignalR": { "ServerTimeout": "1m" } }""", "SignalR:KeepAliveInterval", "SignalR's keep-alive interval is 15s (SignalR's default), over 10s", "set SignalR:KeepAliveInterval to at most 10s")]
    [InlineData("""{ "SignalR": { "KeepAliveInterval": "500ms" } }""", "SignalR:KeepAliveInterval", "below the floor of 1s", "at least \"1s\"")]
    [InlineData("""{ "SignalR": { "ServerTimeot": "30s" } }""", "SignalR:ServerTimeot", "Did you mean 'ServerTimeout'?", "Fix:")]
    public async Task Start_ProfileWithASignalRSectionThatLoopsOrMissesTheBudget_HostDoesNotStartAndNamesPathValuesAndFix(string profile, string setting, string reason, string fix)
    {
        var message = await TestHosts.ProfilesFailAsync(Json(profile));

        message.Should().Contain($"KeepAlive:Profiles:hub:{setting}: ").And.Contain(reason).And.Contain(fix);
        if (setting.StartsWith("SignalR:ServerTimeout", StringComparison.Ordinal) || setting == "Heartbeat:Timeout")
        {
            message.Should().Contain("reconnect loop");
        }
    }

    [Fact]
    public async Task Create_ProfileWithoutASignalRSectionWhoseHeartbeatTimeoutLoops_StartsButIsRefusedForSignalR()
    {
        using var host = TestHosts.Build(Json("""{ "Heartbeat": { "Interval": "10s", "Timeout": "15s" } }"""),
            (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var create = () => KeepAliveSignalRSettings.Create(host.Services.GetRequiredService<IKeepAliveProfiles>(), "hub");

        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
            "KeepAlive:Profiles:hub:Heartbeat:Timeout: the client's ServerTimeout would be 15s (Heartbeat:Timeout) with a keep-alive interval of 10s (Heartbeat:Interval), below twice the interval: SignalR requires the client's ServerTimeout to be at least twice the keep-alive interval; below it one late or lost keep-alive message makes that side declare the other gone, and the connection reconnects, again and again (a reconnect loop). Fix: set Heartbeat:Timeout to at least 20s, or Heartbeat:Interval to at most 7s500ms.",
            "KeepAlive:Profiles:hub:Heartbeat:Timeout: the hub's ClientTimeoutInterval would be 15s (Heartbeat:Timeout) with a keep-alive interval of 10s (Heartbeat:Interval), below twice the interval: SignalR requires the hub's ClientTimeoutInterval to be at least twice the keep-alive interval; below it one late or lost keep-alive message makes that side declare the other gone, and the connection reconnects, again and again (a reconnect loop). Fix: set Heartbeat:Timeout to at least 20s, or Heartbeat:Interval to at most 7s500ms.");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("""{ "Heartbeat": { "Interval": "200ms", "Timeout": "1s" } }""", "Heartbeat:Interval", "SignalR's KeepAliveInterval, taken from Heartbeat:Interval, 200ms is below the floor of 1s")]
    [InlineData("""{ "Heartbeat": { "Interval": "10s", "Timeout": "1d" } }""", "Heartbeat:Timeout", "SignalR's ServerTimeout, taken from Heartbeat:Timeout, 1d is above the ceiling of 1h")]
    public async Task Create_HeartbeatValueOutsideSignalRsRange_RefusedForSignalRNamingTheKeyItCameFrom(string profile, string key, string message)
    {
        using var host = TestHosts.Build(Json(profile), (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var create = () => KeepAliveSignalRSettings.Create(host.Services.GetRequiredService<IKeepAliveProfiles>(), "hub");

        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.StartsWith($"KeepAlive:Profiles:hub:{key}: ", StringComparison.Ordinal))
            .Which.Should().Contain(message).And.Contain("Or set SignalR:");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Create_MappingFromHeartbeat_SignalRSectionOverridesAndUnsetKeepsSignalRsOwn()
    {
        var settings = Settings(p =>
        {
            p.Heartbeat.Interval = TimeSpan.FromSeconds(4);
            p.Heartbeat.Timeout = TimeSpan.FromSeconds(12);
            p.SignalR.ClientTimeoutInterval = TimeSpan.FromSeconds(20);
        });
        var untouched = Settings(_ => { });

        (settings.KeepAliveInterval, settings.ServerTimeout, settings.ClientTimeoutInterval).Should().Be((TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(20)));
        settings.ToString().Should().Be("KeepAliveInterval 4s (Heartbeat:Interval), ServerTimeout 12s (Heartbeat:Timeout), ClientTimeoutInterval 20s (SignalR:ClientTimeoutInterval)");
        (untouched.KeepAliveInterval, untouched.ServerTimeout, untouched.ClientTimeoutInterval).Should().Be(((TimeSpan?)null, (TimeSpan?)null, (TimeSpan?)null), "the Heartbeat section's 10 s default is not a value the profile set");
        untouched.ToString().Should().Be("KeepAliveInterval 15s (SignalR's default), ServerTimeout 30s (SignalR's default), ClientTimeoutInterval 30s (SignalR's default)");
    }

    [Fact]
    public void Create_UnknownProfile_ThrowsWithTheRegisteredNames()
    {
        var create = () => Settings(_ => { }, "hubb");

        create.Should().Throw<KeepAliveProfileNotFoundException>().WithMessage("*'hubb'*hub*");
    }

    private static KeepAliveSignalRSettings Settings(Action<KeepAliveProfileOptions> configure, string name = "hub")
    {
        var services = new ServiceCollection();
        services.AddKeepAlive("hub", configure);
        using var provider = services.BuildServiceProvider();
        return KeepAliveSignalRSettings.Create(provider.GetRequiredService<IKeepAliveProfiles>(), name);
    }

    private static string Json(string profile) => $$"""{ "KeepAlive": { "Profiles": { "hub": {{profile}} } } }""";
}

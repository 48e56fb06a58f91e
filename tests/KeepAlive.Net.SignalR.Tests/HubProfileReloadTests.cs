using KeepAlive.Net.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.SignalR.Tests;

/// <summary>The hubs take their values once (<c>services.AddSignalR().UseKeepAlive</c>): what warning 3106 says after a reload.</summary>
public sealed class HubProfileReloadTests
{
    [Fact]
    public async Task Reload_IntervalTheProfileLeftToCodeNowSetByTheProfile_TheWarningNamesTheValueInForce()
    {
        // AddSignalR(o => ...) set 5 s where the profile set none; 3106 said the hubs' interval "stays SignalR's default".
        var (hub, warning) = await ReloadAsync(
            [new("KeepAlive:Profiles:hub:Heartbeat:Timeout", "40s")],
            [new("KeepAlive:Profiles:hub:Heartbeat:Interval", "8s")],
            builder => builder.Services.AddSignalR(o => o.KeepAliveInterval = TimeSpan.FromSeconds(5)).UseKeepAlive("hub"));

        hub.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(5));
        warning.Should().Contain("KeepAliveInterval stays 5s (the profile now says 8s)").And.NotContain("SignalR's default")
            .And.Contain("Fix: restart the service", "a restart applies the profile's 8 s over the 5 s set before UseKeepAlive");
    }

    [Fact]
    public async Task Reload_TimeoutCodeSetAfterTheCall_TheWarningNamesTheValueInForceAndThatARestartKeepsIt()
    {
        // Configure<HubOptions> after UseKeepAlive wins over the profile's 40 s: 3106 said "stays 40s" and "restart the
        // service", though the hubs run with 50 s and a restart keeps it.
        var (hub, warning) = await ReloadAsync(
            [new("KeepAlive:Profiles:hub:SignalR:ClientTimeoutInterval", "40s")],
            [new("KeepAlive:Profiles:hub:SignalR:ClientTimeoutInterval", "45s")],
            builder =>
            {
                builder.Services.AddSignalR().UseKeepAlive("hub");
                builder.Services.Configure<HubOptions>(o => o.ClientTimeoutInterval = TimeSpan.FromSeconds(50));
            });

        hub.ClientTimeoutInterval.Should().Be(TimeSpan.FromSeconds(50));
        warning.Should().Contain("ClientTimeoutInterval stays 50s, set in code after services.AddSignalR().UseKeepAlive (the profile now says 45s)")
            .And.Contain("Fix: remove the HubOptions assignments in code after services.AddSignalR().UseKeepAlive (Configure<HubOptions>), which win over the profile, then restart the service");
    }

    [Fact]
    public async Task Reload_OneHubsOwnIntervalFromAddHubOptions_TheWarningNamesTheValueThatHubRunsWithAndThatARestartKeepsIt()
    {
        // AddHubOptions<EchoHub> gives the mapped hub 2 s over the profile's 5 s: 3106 said every hub's "stays 5s" and
        // "restart the service", though EchoHub runs with 2 s and a restart keeps it.
        var (_, warning) = await ReloadAsync(
            [new("KeepAlive:Profiles:hub:SignalR:KeepAliveInterval", "5s")],
            [new("KeepAlive:Profiles:hub:SignalR:KeepAliveInterval", "6s")],
            builder => builder.Services.AddSignalR().UseKeepAlive("hub").AddHubOptions<EchoHub>(o => o.KeepAliveInterval = TimeSpan.FromSeconds(2)));

        warning.Should().Contain("KeepAliveInterval stays 5s, and 2s on hub EchoHub, set in code by AddHubOptions<EchoHub> (the profile now says 6s)")
            .And.Contain("Fix: remove the assignments in code by AddHubOptions<EchoHub>, which win over the profile, then restart the service");
    }

    [Fact]
    public async Task Reload_FractionalIntervalTheHubsRunInWholeSeconds_TheWarningShowsTheProfilesValueAndWhatRuns()
    {
        // SignalR's 1 s tick: the hubs run 7s500ms as 7s (the start-up line says so). After a reload to 8s500ms, 3106 said
        // "the profile now says 8s", a value the profile does not say.
        var (hub, warning) = await ReloadAsync(
            [new("KeepAlive:Profiles:hub:SignalR:KeepAliveInterval", "7s500ms"), new("KeepAlive:Profiles:hub:SignalR:ClientTimeoutInterval", "20s")],
            [new("KeepAlive:Profiles:hub:SignalR:KeepAliveInterval", "8s500ms")],
            builder => builder.Services.AddSignalR().UseKeepAlive("hub"));

        hub.KeepAliveInterval.Should().Be(TimeSpan.FromSeconds(7), "the control: rounded down to whole seconds");
        warning.Should().Contain("KeepAliveInterval stays 7s (the profile now says 8s500ms, run as 8s)")
            .And.Contain("Fix: restart the service");
    }

    // Starts the hub with the profile from configuration holding `before`, reloads it with `after`, and returns the hubs'
    // options and the one warning 3106.
    private static async Task<(HubOptions Hub, string Warning)> ReloadAsync(KeyValuePair<string, string?>[] before, KeyValuePair<string, string?>[] after, Action<WebApplicationBuilder> configure)
    {
        var logs = new FakeLogCollector();
        await using var server = await HubServers.StartOnLoopbackAsync(builder =>
        {
            builder.Configuration.AddInMemoryCollection(before);
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
            configure(builder);
        });
        var configuration = (IConfigurationRoot)server.App.Configuration;
        foreach (var (key, value) in after)
        {
            configuration[key] = value;
        }

        configuration.Reload();

        var hub = server.App.Services.GetRequiredService<IOptions<HubOptions>>().Value;
        var warning = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == KeepAliveEventIds.ServerReloadNotApplied, "the reload changed a value the hubs took once").Which.Message;
        return (hub, warning);
    }
}

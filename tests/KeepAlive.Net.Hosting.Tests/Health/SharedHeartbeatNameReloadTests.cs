using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// Start-up refuses two profiles reporting heartbeats under one name when the health check is added (it reads a profile's
/// telemetry by that name); a reload that makes them share one is refused the same way, the last valid values staying.
/// </summary>
public sealed class SharedHeartbeatNameReloadTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reload_HeartbeatNameOfAnotherProfile_RefusedWithTheHealthCheckAllowedWithout(bool healthCheck)
    {
        var configuration = TwoProfiles();
        using var provider = Start(configuration, healthCheck);
        var profiles = (KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();

        configuration["KeepAlive:Profiles:orders:Heartbeat:Name"] = "Payments";
        configuration.Reload();

        if (healthCheck)
        {
            profiles.GetProfile("orders").Heartbeat.Name.Should().NotBe("Payments", "the refused reload keeps the last valid values");
            profiles.RefusedChange("orders").Should().Contain("KeepAlive:Profiles:orders:Heartbeat:Name").And.Contain("'Payments'")
                .And.Contain("'payments'").And.Contain("cannot tell them apart").And.Contain("Fix:");
        }
        else
        {
            profiles.GetProfile("orders").Heartbeat.Name.Should().Be("Payments", "without the health check one name for two profiles is the user's choice");
            profiles.RefusedChange("orders").Should().BeNull();
        }
    }

    [Fact]
    public async Task Reload_TheOtherProfileRenamedAway_TheRefusedProfileIsJudgedAgainAndAccepted()
    {
        // orders' change was refused because payments reports under the name it asked for; payments then takes another name.
        // orders' own section did not change again, yet its refused change is now valid: it must be taken, as any accepted
        // reload is (logged once), not left refused (and the health check Degraded) until orders is saved again.
        var configuration = TwoProfiles();
        using var provider = Start(configuration, healthCheck: true);
        var profiles = (KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();
        var logs = provider.GetFakeLogCollector();
        configuration["KeepAlive:Profiles:orders:Heartbeat:Name"] = "Payments";
        configuration.Reload();
        profiles.RefusedChange("orders").Should().Contain("'Payments'");

        configuration["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "20s"; // accepted, and orders still shares its name
        configuration.Reload();
        profiles.RefusedChange("orders").Should().Contain("'Payments'", "orders' change is still invalid");
        Messages(logs, KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle("the same refusal is not logged again by another profile's reload");

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "payments-x";
        configuration.Reload();
        configuration.Reload(); // the file watcher's duplicate event

        profiles.RefusedChange("orders").Should().BeNull("orders' change is valid against the new configuration");
        profiles.GetProfile("orders").Heartbeat.Name.Should().Be("Payments");
        Messages(logs, KeepAliveEventIds.ProfileReloaded).Where(m => m.Contains("'orders'", StringComparison.Ordinal)).Should().ContainSingle("taken as any accepted reload is, once");
        Messages(logs, KeepAliveEventIds.ProfileReloadRejected).Should().ContainSingle();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        report.Entries["keepalive"].Data.Should().NotContainKey("orders:ReloadRejected");
        report.Entries["keepalive"].Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public void Reload_TwoProfilesSwapTheirHeartbeatNamesInOneSave_BothAccepted()
    {
        // payments takes orders' name and orders payments' in one save: the names stay unique (start-up takes them), yet each
        // profile, judged against the other's values in force, was refused, and both stayed refused for good.
        var configuration = TwoProfiles();
        using var provider = Start(configuration, healthCheck: true);
        var profiles = (KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "orders";
        configuration["KeepAlive:Profiles:orders:Heartbeat:Name"] = "payments";
        configuration.Reload();

        profiles.RefusedChange("payments").Should().BeNull();
        profiles.RefusedChange("orders").Should().BeNull();
        profiles.GetProfile("payments").Heartbeat.Name.Should().Be("orders");
        profiles.GetProfile("orders").Heartbeat.Name.Should().Be("payments");
        Messages(provider.GetFakeLogCollector(), KeepAliveEventIds.ProfileReloaded).Should().HaveCount(2, "each profile's change is taken once");

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "shared";
        configuration["KeepAlive:Profiles:orders:Heartbeat:Name"] = "SHARED";
        configuration.Reload();

        profiles.RefusedChange("payments").Should().Contain("'shared'", "two changes taking one name are both refused, as start-up refuses them");
        profiles.RefusedChange("orders").Should().Contain("'SHARED'");
        profiles.GetProfile("payments").Heartbeat.Name.Should().Be("orders");
        profiles.GetProfile("orders").Heartbeat.Name.Should().Be("payments");
    }

    [Fact]
    public void Reload_TwoProfilesTakenInOneSave_IOptionsMonitorListenersSeeBothTaken()
    {
        // A listener told of one profile's accepted reload reads the other's values (the health check's telemetry listener
        // reads every heartbeat name): it must see the whole save taken, not one profile's new name beside the other's old
        // one, the same name twice.
        var configuration = TwoProfiles();
        using var provider = Start(configuration, healthCheck: true);
        var profiles = provider.GetRequiredService<IKeepAliveProfiles>();
        var monitor = provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<KeepAliveProfileOptions>>();
        var seen = new List<string>();
        using var listening = monitor.OnChange((_, name) => seen.Add($"{name}: payments {profiles.GetProfile("payments").Heartbeat.Name}, orders {profiles.GetProfile("orders").Heartbeat.Name}"));

        configuration["KeepAlive:Profiles:payments:Heartbeat:Name"] = "orders";
        configuration["KeepAlive:Profiles:orders:Heartbeat:Name"] = "payments";
        configuration.Reload();

        seen.Should().BeEquivalentTo("orders: payments orders, orders payments", "payments: payments orders, orders payments");
    }

    private static IConfigurationRoot TwoProfiles() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
        ["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "10s",
    }).Build();

    // The profiles of the configuration, each built (in force), with fake logging and, when asked, the keep-alive health check.
    private static ServiceProvider Start(IConfiguration configuration, bool healthCheck)
    {
        var services = new ServiceCollection().AddLogging(logging => logging.AddFakeLogging()).AddMetrics().AddKeepAlive(configuration.GetSection("KeepAlive"));
        if (healthCheck)
        {
            services.AddHealthChecks().AddKeepAlive();
        }

        var provider = services.BuildServiceProvider();
        ((KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>()).CaptureAll();
        return provider;
    }

    private static List<string> Messages(FakeLogCollector logs, int eventId) => [.. logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];
}

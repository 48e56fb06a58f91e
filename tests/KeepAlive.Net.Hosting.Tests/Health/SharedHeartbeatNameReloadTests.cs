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
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
            ["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "10s",
        }).Build();
        var services = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlive"));
        if (healthCheck)
        {
            services.AddHealthChecks().AddKeepAlive();
        }

        using var provider = services.BuildServiceProvider();
        var profiles = (KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();
        profiles.CaptureAll();

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
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
            ["KeepAlive:Profiles:orders:Heartbeat:Interval"] = "10s",
        }).Build();
        var services = new ServiceCollection().AddLogging(logging => logging.AddFakeLogging()).AddMetrics().AddKeepAlive(configuration.GetSection("KeepAlive"));
        services.AddHealthChecks().AddKeepAlive();
        using var provider = services.BuildServiceProvider();
        var profiles = (KeepAliveProfiles)provider.GetRequiredService<IKeepAliveProfiles>();
        var logs = provider.GetFakeLogCollector();
        profiles.CaptureAll();
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

    private static List<string> Messages(FakeLogCollector logs, int eventId) => [.. logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(static r => r.Message)];
}

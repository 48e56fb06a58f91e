using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
}

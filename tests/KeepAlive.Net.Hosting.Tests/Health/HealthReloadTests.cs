using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// The health check's thresholds are read once, at start-up. A later change to their section must not be ignored in silence:
/// each value that stays is named, with the fix, as a change to a value Kestrel took once is (3106).
/// </summary>
public sealed class HealthReloadTests
{
    [Fact]
    public async Task Reload_ThresholdsChanged_WarnsOnceNamingEachValueThatStaysAndTheCheckKeepsItsThresholds()
    {
        var (host, configuration, logs) = await StartAsync();
        using (host)
        {
            configuration["KeepAlive:Health:Window"] = "5m";
            configuration["KeepAlive:Health:UnhealthyPeerDeadCount"] = "7";
            configuration.Reload();
            configuration.Reload(); // a save the file watcher reports twice, or a reload of another section: no second warning

            var warning = logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HealthReloadNotApplied).Should().ContainSingle().Which;
            TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
            warning.Level.Should().Be(LogLevel.Warning);
            warning.Message.Should().Contain("KeepAlive:Health:Window stays 1m (the section now says 5m)")
                .And.Contain("KeepAlive:Health:UnhealthyPeerDeadCount stays 3 (the section now says 7)")
                .And.NotContain("DegradedBudgetFraction")
                .And.Contain("Fix: restart");
            host.Services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(Options.DefaultName).Window.Should().Be(TimeSpan.FromMinutes(1));

            configuration["KeepAlive:Health:Window"] = "1m";
            configuration["KeepAlive:Health:UnhealthyPeerDeadCount"] = "3";
            configuration.Reload();
            logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HealthReloadNotApplied).Should().ContainSingle("the section says again what the check runs with");
        }
    }

    [Fact]
    public async Task Reload_ThresholdsRefused_WarnsThatEveryValueStaysWithThePathValueAndFix()
    {
        var (host, configuration, logs) = await StartAsync();
        using (host)
        {
            configuration["KeepAlive:Health:Window"] = "10";
            configuration.Reload();

            var warning = logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HealthReloadNotApplied).Should().ContainSingle().Which;
            TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
            warning.Message.Should().Contain("every threshold stays").And.Contain("KeepAlive:Health:Window").And.Contain("'10' has no unit");
        }
    }

    private static async Task<(IHost Host, IConfigurationRoot Configuration, FakeLogCollector Logs)> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Health:Window"] = "1m",
            ["KeepAlive:Health:UnhealthyPeerDeadCount"] = "3",
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
        });
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        builder.Services.AddHealthChecks().AddKeepAlive(builder.Configuration.GetSection("KeepAlive:Health"));
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return (host, builder.Configuration, host.Services.GetRequiredService<FakeLogCollector>());
    }
}

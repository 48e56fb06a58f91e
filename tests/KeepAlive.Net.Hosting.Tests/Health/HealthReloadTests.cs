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
            logs.GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.HealthSectionAddedAfterStartUp, "a check reads the section: 3006 says what stays");
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

    [Fact]
    public async Task Reload_TwoNamedChecksReadingOneSection_WarnsOncePerPathForEachReload()
    {
        // AddKeepAlive(section, name: "a") and AddKeepAlive(section, name: "b"): each check watched the section, so one save
        // said 3006 once per check for the same path. A third check, reading another section of the same configuration, is
        // watched too: its change is said once, under its own path.
        var settings = new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s",
            ["KeepAlive:Health:Window"] = "1m",
            ["Health:Live:UnhealthyPeerDeadCount"] = "5",
        };
        using var host = await ReloadableHost.StartAsync(settings, static (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddHealthChecks()
                .AddKeepAlive(configuration.GetSection("KeepAlive:Health"), name: "a")
                .AddKeepAlive(configuration.GetSection("KeepAlive:Health"), name: "b")
                .AddKeepAlive(configuration.GetSection("Health:Live"), name: "live");
        });
        IEnumerable<string> Warnings() => host.Logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.HealthReloadNotApplied).Select(static r => r.Message);

        host.Configuration["KeepAlive:Health:Window"] = "10";
        host.Configuration.Reload();
        host.SingleWarning(KeepAliveEventIds.HealthReloadNotApplied).Should().Contain("from KeepAlive:Health once").And.Contain("every threshold stays").And.Contain("KeepAlive:Health:Window").And.Contain("'10' has no unit");

        host.Configuration["KeepAlive:Health:Window"] = "5m";
        host.Configuration["Health:Live:UnhealthyPeerDeadCount"] = "7";
        host.Configuration.Reload();
        var warnings = Warnings().Skip(1).ToList();
        warnings.ForEach(TestContext.Current.TestOutputHelper!.WriteLine);
        warnings.Should().HaveCount(2, "one reload, two paths");
        warnings.Should().ContainSingle(static m => m.Contains("KeepAlive:Health:Window stays 1m (the section now says 5m)", StringComparison.Ordinal));
        warnings.Should().ContainSingle(static m => m.Contains("Health:Live:UnhealthyPeerDeadCount stays 5 (the section now says 7)", StringComparison.Ordinal));
        foreach (var name in new[] { "a", "b" })
        {
            host.Host.Services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(name).Window.Should().Be(TimeSpan.FromMinutes(1), "check '{0}' keeps the thresholds it started with", name);
        }
    }

    [Theory]
    [InlineData(false, null, "no keep-alive health check is added", "call services.AddHealthChecks()")]
    [InlineData(true, null, "services.AddHealthChecks().AddKeepAlive() was called without a section", "replace the call that adds the check named 'keepalive' without a section")]
    [InlineData(true, "Thresholds", "was given Thresholds", "replace the call that adds the check named 'keepalive' from Thresholds")]
    public async Task Reload_HealthSectionAddedThatNoCheckReads_WarnsOnceThatItIsNotAppliedWithStartUpsReasonAndTheFix(bool checkAdded, string? checkSection, string unread, string fix)
    {
        // Thresholds saved beside the profiles while the service runs, where no check reads them: start-up refuses them (no
        // check reads them); a reload used to ignore them in silence, the check running on with the thresholds it started with.
        var settings = new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s", ["Thresholds:Window"] = "2m" };
        void Register(IServiceCollection services, IConfiguration configuration)
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            if (checkAdded)
            {
                _ = checkSection is null ? services.AddHealthChecks().AddKeepAlive() : services.AddHealthChecks().AddKeepAlive(configuration.GetSection(checkSection));
            }
        }

        using var host = await ReloadableHost.StartAsync(settings, Register);
        var window = host.Host.Services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(Options.DefaultName).Window;

        host.Save(("KeepAlive:Health:Window", "5m"), ("KeepAlive:Health:UnhealthyPeerDeadCount", "7"));

        host.SingleWarning(KeepAliveEventIds.HealthSectionAddedAfterStartUp).Should().StartWith("KeepAlive:Health: ").And.Contain(unread).And.Contain("saved after start-up")
            .And.Contain("the next start-up refuses them").And.Contain($"Fix: to apply them, {fix}").And.Contain("services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"KeepAlive:Health\"))")
            .And.Contain("and restart the service");
        host.Logs.GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.UnknownKeyAddedAfterStartUp, "Health is a key of the KeepAlive section");
        host.Host.Services.GetRequiredService<IOptionsMonitor<KeepAliveHealthCheckOptions>>().Get(Options.DefaultName).Window.Should().Be(window, "no check reads the section");

        // What the warning says of the next start-up, for the same reason.
        var restarted = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        restarted.Configuration.AddInMemoryCollection(host.Configuration.AsEnumerable());
        Register(restarted.Services, restarted.Configuration);
        using var next = restarted.Build();
        var refused = await Record.ExceptionAsync(() => next.StartAsync(TestContext.Current.CancellationToken));
        refused.Should().BeOfType<OptionsValidationException>().Which.Message.Should().Contain("KeepAlive:Health: holds the health check's thresholds, but").And.Contain(unread);
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

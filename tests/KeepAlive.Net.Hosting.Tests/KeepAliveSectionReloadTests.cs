using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// What a reload adds to the <c>KeepAlive</c> section that start-up would refuse is said, never ignored in silence: a reload
/// cannot stop the host, so nothing in force changes, and a warning names the path, what is wrong and the fix, as start-up does.
/// </summary>
public sealed class KeepAliveSectionReloadTests
{
    private const string Valid = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s" } } } } }""";

    [Theory]
    [InlineData("KeepAlive:Profilez:orders:Tcp:IdleTime", "KeepAlive:Profilez", "Did you mean 'Profiles'?")]
    [InlineData("KeepAlive:Helth:Window", "KeepAlive:Helth", "Did you mean 'Health'?")]
    public async Task Reload_UnknownKeyAdded_WarnsOnceWithStartUpsFindingAndFixAndTheProfilesKeepFollowingTheirSections(string key, string path, string suggestion)
    {
        using var host = await ReloadableHost.StartAsync([new("KeepAlive:Profiles:payments:Tcp:IdleTime", "30s")], static (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        host.Save((key, "20s"), ("KeepAlive:Profiles:payments:Tcp:IdleTime", "40s"));

        var warning = host.SingleWarning(KeepAliveEventIds.UnknownKeyAddedAfterStartUp);
        warning.Should().StartWith($"{path}: unknown key").And.Contain(suggestion).And.Contain("saved after start-up").And.Contain("the next start-up refuses it");

        // The finding and the fix are start-up's, word for word: the same key refused there.
        var refused = () => new ServiceCollection().AddKeepAlive(host.Configuration.GetSection("KeepAlive"));
        var startUp = refused.Should().Throw<InvalidOperationException>().Which.Message.Split(" Fix: ");
        warning.Should().Contain(startUp[0]).And.Contain($" Fix: {startUp[1]}");

        // Nothing reads the key; the profiles follow their own sections as before.
        host.Host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40));
        host.Logs.GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reload_UnknownKeyAddedToASectionWithoutProfiles_WarnsOnceWithStartUpsFinding(bool healthOnly)
    {
        // No profile registered from the section (empty, or the health check's thresholds only, the profile bound from a path
        // of its own): what watches it is not a profile's section, yet a key a reload adds there is said as beside profiles.
        var settings = healthOnly ? new Dictionary<string, string?> { ["KeepAlive:Health:Window"] = "2m", ["Payments:Tcp:IdleTime"] = "30s" } : [];
        using var host = await ReloadableHost.StartAsync(settings, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            if (healthOnly)
            {
                services.AddKeepAlive("payments", configuration.GetSection("Payments"));
                services.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
            }
        });

        host.Save(("KeepAlive:Profilez:orders:Tcp:IdleTime", "20s"));

        host.SingleWarning(KeepAliveEventIds.UnknownKeyAddedAfterStartUp).Should().StartWith("KeepAlive:Profilez: unknown key 'Profilez' in the KeepAlive section. Did you mean 'Profiles'?")
            .And.Contain("saved after start-up");
    }

    [Fact]
    public async Task Reload_UnknownKeySavedInAppSettings_WarnsOnceAndAgainWhenSavedAgainAfterItsRemoval()
    {
        const string Misspelt = """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "45s" } } }, "Helth": { "Window": "5m" } } }""";
        await using var host = await FileBackedHost.StartAsync(Valid, static (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.SaveAndWaitForLogAsync(Misspelt, KeepAliveEventIds.UnknownKeyAddedAfterStartUp);
        var warning = host.LogsWithId(KeepAliveEventIds.UnknownKeyAddedAfterStartUp).Should().ContainSingle("one save, however many change events the file watcher raises").Which.Message;
        warning.Should().Contain("KeepAlive:Helth: unknown key 'Helth' in the KeepAlive section. Did you mean 'Health'?").And.Contain("Fix:");

        // Removed (with another change, which is logged), then saved again: said again.
        await host.SaveAndWaitForLogAsync(Valid.Replace("45s", "40s", StringComparison.Ordinal), KeepAliveEventIds.ProfileReloaded);
        host.LogsWithId(KeepAliveEventIds.UnknownKeyAddedAfterStartUp).Should().ContainSingle();
        await host.SaveAndWaitForLogAsync(Misspelt, KeepAliveEventIds.UnknownKeyAddedAfterStartUp);
        host.LogsWithId(KeepAliveEventIds.UnknownKeyAddedAfterStartUp).Should().HaveCount(2);
    }
}

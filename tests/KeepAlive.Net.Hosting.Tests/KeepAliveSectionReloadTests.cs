using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

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
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" });
        builder.Logging.AddFakeLogging();
        builder.Services.AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<FakeLogCollector>();

        builder.Configuration[key] = "20s";
        builder.Configuration["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "40s";
        ((IConfigurationRoot)builder.Configuration).Reload();
        ((IConfigurationRoot)builder.Configuration).Reload(); // the file watcher's second event for one save: said once

        var warning = logs.GetSnapshot().Where(static r => r.Id.Id == KeepAliveEventIds.UnknownKeyAddedAfterStartUp).Should().ContainSingle().Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Message.Should().StartWith($"{path}: unknown key").And.Contain(suggestion).And.Contain("saved after start-up").And.Contain("the next start-up refuses it");

        // The finding and the fix are start-up's, word for word: the same key refused there.
        var refused = () => new ServiceCollection().AddKeepAlive(builder.Configuration.GetSection("KeepAlive"));
        var startUp = refused.Should().Throw<InvalidOperationException>().Which.Message.Split(" Fix: ");
        warning.Message.Should().Contain(startUp[0]).And.Contain($" Fix: {startUp[1]}");

        // Nothing reads the key; the profiles follow their own sections as before.
        host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Tcp.IdleTime.Should().Be(TimeSpan.FromSeconds(40));
        logs.GetSnapshot().Should().NotContain(static r => r.Id.Id == KeepAliveEventIds.ProfileReloadRejected);
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

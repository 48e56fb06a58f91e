using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// <c>services.AddKeepAlive(section)</c> given a section that holds no profile (a misspelt path, an empty <c>Profiles</c>)
/// registers none: start-up says so once (event 3007) with the path read, what it holds and the fix, and a profile asked for
/// by name stops the host with the same finding; a section that holds profiles or the health check's thresholds says nothing.
/// </summary>
public sealed class KeepAliveSectionReadTests
{
    private const string File = """
        {
          "Logging": { "LogLevel": { "Default": "Information" } },
          "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } }
        }
        """;

    [Fact]
    public async Task Start_KeepAliveSectionMisspelt_WarnsOnceWithThePathTheSectionMeantAndTheFix()
    {
        // Given twice (two packages' set-up code, say): one finding, one warning.
        await using var host = await FileBackedHost.StartAsync(File, static (services, configuration) =>
            services.AddKeepAlive(configuration.GetSection("KeepAlives")).AddKeepAlive(configuration.GetSection("KeepAlives")));

        Warning(host).Should().StartWith("KeepAlives: no such section in the configuration, or an empty one")
            .And.Contain("Did you mean 'KeepAlive'?")
            .And.Contain("registered no profile")
            .And.Contain("Fix: services.AddKeepAlive(configuration.GetSection(\"KeepAlive\"))");
        host.Profiles.Names.Should().BeEmpty();
    }

    [Theory]
    [InlineData("""{ "Services": { "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } } } }""", "KeepAlive", "Services:KeepAlive")]
    [InlineData("""{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s" } } } }, "App": { "Name": "shop" } }""", "App:KeepAlive", "KeepAlive")]
    public async Task Start_KeepAliveSectionReadAtAnotherNesting_TheFixNamesWhereItIs(string json, string read, string there)
    {
        await using var host = await FileBackedHost.StartAsync(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection(read)));

        Warning(host).Should().StartWith($"{read}: no such section").And.Contain($"Fix: services.AddKeepAlive(configuration.GetSection(\"{there}\"))");
    }

    [Fact]
    public async Task Start_EmptyProfilesSection_WarnsNamingIt()
    {
        await using var host = await FileBackedHost.StartAsync("""{ "KeepAlive": { "Profiles": { } } }""", static (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        Warning(host).Should().StartWith("KeepAlive:Profiles: holds no profile").And.Contain("Fix: add a profile under KeepAlive:Profiles:<name>");
    }

    [Fact]
    public async Task Start_SectionWithProfilesOrHealthThresholds_SaysNothing()
    {
        await using (var host = await FileBackedHost.StartAsync(File, static (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive"))))
        {
            host.LogsWithId(KeepAliveEventIds.KeepAliveSectionWithoutProfiles).Should().BeEmpty("the section holds a profile");
        }

        // Thresholds only: the profiles come from code, and the call is how the health check's section is registered.
        const string HealthOnly = """{ "KeepAlive": { "Health": { "Window": "1m" } } }""";
        await using (var host = await FileBackedHost.StartAsync(HealthOnly, static (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.AddKeepAlive("payments", static o => o.Tcp.IdleTime = TimeSpan.FromSeconds(30));
            services.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health"));
        }))
        {
            host.LogsWithId(KeepAliveEventIds.KeepAliveSectionWithoutProfiles).Should().BeEmpty("the section holds the health check's thresholds");
        }
    }

    [Fact]
    public async Task Start_ProfileAskedForByNameFromAMisspeltSection_RefusalNamesTheSectionRead()
    {
        var ex = await TestHosts.StartFailingAsync(File, static (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlives"));
            services.AddHttpClient("payments").UseTcpKeepAlive("payments");
        });

        var message = ex.Should().BeOfType<OptionsValidationException>().Which.Message;
        TestContext.Current.TestOutputHelper!.WriteLine(message);
        message.Should().Contain("No KeepAlive profile named 'payments' is registered (registered: none)")
            .And.Contain("KeepAlives: no such section in the configuration, or an empty one")
            .And.Contain("Did you mean 'KeepAlive'?")
            .And.Contain("Fix:");
    }

    [Fact]
    public void GetProfile_FromAMisspeltSection_ThrowsNamingTheSectionRead()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" }).Build();
        using var provider = new ServiceCollection().AddKeepAlive(configuration.GetSection("KeepAlives")).BuildServiceProvider();

        var act = () => provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");

        act.Should().Throw<KeepAliveProfileNotFoundException>()
            .WithMessage("No KeepAlive profile named 'payments' is registered (registered: none).*KeepAlives: no such section in the configuration*Fix:*");
    }

    [Fact]
    public async Task Start_EmptyConfigurationGiven_WarnsThatItIsEmpty()
    {
        await using var host = await FileBackedHost.StartAsync(File, static (services, _) =>
            services.AddKeepAlive(new ConfigurationBuilder().AddJsonFile("keepalive.json", optional: true).Build()));

        Warning(host).Should().StartWith("the configuration given to AddKeepAlive: the configuration is empty (an optional file that is not found, or one with nothing in it)");
    }

    // The one warning start-up gave, at its level.
    private static string Warning(FileBackedHost host)
    {
        var warning = host.LogsWithId(KeepAliveEventIds.KeepAliveSectionWithoutProfiles).Should().ContainSingle("the section read is reported once, at start-up").Which;
        TestContext.Current.TestOutputHelper!.WriteLine(warning.Message);
        warning.Level.Should().Be(LogLevel.Warning);
        return warning.Message;
    }
}

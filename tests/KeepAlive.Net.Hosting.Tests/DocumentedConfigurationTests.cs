using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>The appsettings.json shown in the docs and shipped with the examples must start a host.</summary>
public sealed partial class DocumentedConfigurationTests
{
    [Fact]
    public async Task ConfigurationDoc_CompleteExample_BindsAndStarts()
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        var json = JsonBlock().Match(markdown).Groups[1].Value;
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        var profiles = host.Services.GetRequiredService<IKeepAliveProfiles>();
        profiles.Names.Should().BeEquivalentTo("payments", "default");
        profiles.GetProfile("payments").Heartbeat.PeerIdleTimeout.Should().Be(PeerIdleTimeout.AwsNlb);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("Worker", 2)]
    [InlineData("WebApi", 4)]
    public async Task ExampleAppSettings_BindAndStart(string example, int profiles)
    {
        var json = await File.ReadAllTextAsync(RepositoryFiles.Path("examples", example, "appsettings.json"), TestContext.Current.CancellationToken);
        using var host = TestHosts.Build(json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            if (configuration.GetSection("KeepAlive:Health").Exists())
            {
                services.AddHealthChecks().AddKeepAlive(configuration.GetSection("KeepAlive:Health")); // as the example does: unread thresholds stop the host
            }
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().Names.Should().HaveCount(profiles);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs", "INTEGRATION.md")]
    public async Task Docs_ProfilesShownToCopy_StartWithoutAWarning(params string[] document)
    {
        // The profiles these documents offer ("orders": { ... }, "hub": { ... }) are the ones users copy: each must start a
        // host with nothing at Warning or above, such as a ping timeout the start-up check says may misfire (event 3005).
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path(document), TestContext.Current.CancellationToken);
        var profiles = JsonBlock().Matches(markdown).Select(static m => m.Groups[1].Value.Trim()).Where(static json => ProfileFragment().IsMatch(json)).ToList();
        var logs = new FakeLogCollector();
        using var host = TestHosts.Build($$"""{ "KeepAlive": { "Profiles": { {{string.Join(", ", profiles)}} } } }""", (services, configuration) =>
        {
            services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)));
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        profiles.Should().NotBeEmpty();
        logs.GetSnapshot().Where(static r => r.Level >= LogLevel.Warning).Select(static r => $"{r.Id.Id} {r.Message}").Should().BeEmpty();
    }

    // A block of whole profiles: "name": { "Tcp": ... }, not a profile's sections ("Http": { ... }).
    [GeneratedRegex("""^"(?!(Tcp|Heartbeat|Http|WebSocket|SignalR)")[\w-]+":\s*\{""")]
    private static partial Regex ProfileFragment();

    [GeneratedRegex("```json\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Theory]
    [InlineData(typeof(KeepAliveSettings), "CONFIGURATION.md", "### What the returned `KeepAliveSettings` says")]
    [InlineData(typeof(KeepAliveOptionReport), "CONFIGURATION.md", "### What the returned `KeepAliveSettings` says")]
    [InlineData(typeof(KeepAliveCapabilities), "CONFIGURATION.md", "### What the platform can do: `KeepAliveCapabilities`")]
    [InlineData(typeof(KeepAliveClientDescription), "CLIENTS.md", "## Writing a package for another client")]
    [InlineData(typeof(KeepAliveClientSettings), "CLIENTS.md", "## Writing a package for another client")]
    public async Task Docs_ReferenceTypes_NameEveryPublicMember(Type type, string document, string heading)
    {
        // KeepAliveSettings.GetReport, HasAdjustments and IsReadBackFromKernel, KeepAliveOptionReport's Requested, Effective,
        // RequestedTime and EffectiveTime, and most of KeepAliveCapabilities (TimeResolution, TimeAsWritten, the Max and
        // Default values, the Supports flags), and of KeepAliveClientDescription and KeepAliveClientSettings (ClientName,
        // MaxHeartbeatInterval, Adjustments, ReportIfOverridden, ThrowIfYourHeartbeatMissesTheTimeout) were public and named in no doc.
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", document), TestContext.Current.CancellationToken);
        var start = markdown.IndexOf(heading, StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, "{0} describes {1} under \"{2}\"", document, type.Name, heading);
        var section = markdown[start..markdown.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal)];

        var members = type.GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(static m => m is System.Reflection.PropertyInfo || (m is System.Reflection.MethodInfo method && !method.IsSpecialName))
            .Select(static m => m.Name)
            .Where(static n => n is not ("Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "<Clone>$"))
            .Distinct();

        members.Should().NotBeEmpty().And.OnlyContain(n => section.Contains($"`{n}", StringComparison.Ordinal) || section.Contains($".{n}(", StringComparison.Ordinal), "each public member of {0} is said under \"{1}\"", type.Name, heading);
    }
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

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
    [InlineData("WebApi", 3)]
    public async Task ExampleAppSettings_BindAndStart(string example, int profiles)
    {
        var json = await File.ReadAllTextAsync(RepositoryFiles.Path("examples", example, "appsettings.json"), TestContext.Current.CancellationToken);
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        host.Services.GetRequiredService<IKeepAliveProfiles>().Names.Should().HaveCount(profiles);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [GeneratedRegex("```json\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}

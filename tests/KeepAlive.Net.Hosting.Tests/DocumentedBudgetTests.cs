using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>Every row of "The whole budget for each preset" in docs/CONFIGURATION.md must pass validation for its preset.</summary>
public sealed class DocumentedBudgetTests
{
    [Theory]
    [InlineData("AzureLoadBalancer")]
    [InlineData("AwsNlb")]
    [InlineData("AwsNatGateway")]
    [InlineData("AwsAlb")]
    [InlineData("GcpCloudNat")]
    public async Task ConfigurationDoc_PresetBudgetRow_Starts(string preset)
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        var table = markdown[markdown.IndexOf("## The whole budget for each preset", StringComparison.Ordinal)..];
        var cells = table.Split('\n').Single(l => l.StartsWith($"| `{preset}` |", StringComparison.Ordinal))
            .Split('|', StringSplitOptions.TrimEntries)[1..^1];
        var http = new List<string>();
        Add(http, "PooledConnectionIdleTimeout", cells[4]);
        Add(http, "KeepAliveTimeout", cells[5]);
        Add(http, "KeepAlivePingDelay", cells[6]);
        if (Value(cells[8]) is { } ageAndJitter)
        {
            var parts = ageAndJitter.Split(" + ", StringSplitOptions.TrimEntries);
            Add(http, "MaxConnectionAge", parts[0]);
            Add(http, "MaxConnectionAgeJitter", parts[1]);
        }

        var json = $$"""
            { "KeepAlive": { "Profiles": { "row": {
                "Heartbeat": { "PeerIdleTimeout": "{{preset}}" },
                "Http": { {{string.Join(", ", http)}} },
                "WebSocket": { "KeepAliveInterval": "{{Value(cells[7])}}" } } } } }
            """;
        using var host = TestHosts.Build(json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));

        await host.StartAsync(TestContext.Current.CancellationToken);

        var profile = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("row");
        profile.Http.PooledConnectionIdleTimeout.Should().BeLessThan(profile.Heartbeat.PeerIdleTimeout!.Value.Value);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static void Add(List<string> http, string key, string cell)
    {
        if (Value(cell) is { } value)
        {
            http.Add($"\"{key}\": \"{value}\"");
        }
    }

    // "`5m`" -> 5m; "n/a (...)" -> null. For the age column "`10m` + `1m`" -> "10m + 1m".
    private static string? Value(string cell) => cell.StartsWith("n/a", StringComparison.Ordinal) ? null : cell.Replace("`", string.Empty, StringComparison.Ordinal);
}

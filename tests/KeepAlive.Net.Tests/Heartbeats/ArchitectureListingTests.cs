using System.Text.RegularExpressions;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>docs/ARCHITECTURE.md lists the heartbeat API other code depends on; its options are what a profile's Heartbeat section binds.</summary>
public sealed partial class ArchitectureListingTests
{
    [Fact]
    public void Architecture_HeartbeatOptionsListing_NamesEverySettableOption()
    {
        var listing = HeartbeatOptionsListing().Match(RepositoryFiles.ReadAllText("docs/ARCHITECTURE.md"));
        listing.Success.Should().BeTrue("docs/ARCHITECTURE.md lists \"public class HeartbeatOptions { ... }\"");

        var documented = ListedProperty().Matches(listing.Groups[1].Value).Select(static m => m.Groups[1].Value);

        documented.Should().BeEquivalentTo(
            typeof(HeartbeatOptions).GetProperties().Where(static p => p.SetMethod is { IsPublic: true }).Select(static p => p.Name),
            "the listing names every option a profile's Heartbeat section binds, no more and no fewer");
    }

    [GeneratedRegex(@"public class HeartbeatOptions\b[^\n]*\n\{(.*?)\n\}", RegexOptions.Singleline)]
    private static partial Regex HeartbeatOptionsListing();

    [GeneratedRegex(@"public \S+ (\w+) \{ get; set; \}")]
    private static partial Regex ListedProperty();
}

using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Profiles;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>docs/CONFIGURATION.md states every declared range as declared: its table is the declarations, row for row.</summary>
public sealed class DocumentedRangesTests
{
    private const string Heading = "### Every value's range";

    [Fact]
    public async Task ConfigurationDoc_RangeTable_StatesEveryDeclaredRangeAndItsReasons()
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        var table = markdown[(markdown.IndexOf(Heading, StringComparison.Ordinal) + Heading.Length)..].Split('\n')
            .SkipWhile(static l => !l.StartsWith("| `", StringComparison.Ordinal)).TakeWhile(static l => l.StartsWith('|')).ToList();

        var declared = DeclaredRanges().Select(static r => Row(r.Setting, r.Range)).ToList();

        declared.Should().HaveCountGreaterThan(20);
        table.Should().Equal(declared, $"the table under \"{Heading}\" must be the declared ranges; they are:\n{string.Join('\n', declared)}\n");
    }

    [Fact]
    public void EveryDeclaredRange_ItsReasons_WriteDurationsAsTheConfigurationReadsThem()
    {
        // A reason follows its bound in the same message: "below the floor of 1s: ..., so 1 s is the earliest it can probe".
        var reasons = string.Join("\n", DeclaredRanges().SelectMany(static r => new[] { r.Range.MinimumReason, r.Range.MaximumReason }));

        DurationText.Durations(reasons).Should().HaveCountGreaterThan(5, "the reasons quote timers, timeouts and middleboxes");
        DurationText.NotReadBack(reasons).Should().BeEmpty("a reason writes a duration as the bound it explains is written");
    }

    [Fact]
    public async Task HealthDoc_ValidationTable_StatesEachThresholdsDeclaredRange()
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "HEALTH.md"), TestContext.Current.CancellationToken);

        foreach (var key in OptionsSchema.For<KeepAliveHealthCheckOptions>().Keys)
        {
            markdown.Should().Contain($"| `{key.Name}` | {key.Range} |");
        }
    }

    [Fact]
    public void ProfileSections_EveryPropertyOfAProfile_IsASectionTheReaderReads()
    {
        var properties = typeof(KeepAliveProfileOptions).GetProperties().Select(static p => p.Name);

        ProfileSections.All.Select(static s => s.Name).Should().Equal(properties, "a profile property the reader does not know would never be read from configuration");
    }

    private static IEnumerable<(string Setting, KeepAliveRangeAttribute Range)> DeclaredRanges() =>
        ProfileSections.All.Select(static s => (s.Name, s.Schema))
            .Append(("Health", OptionsSchema.For<KeepAliveHealthCheckOptions>()))
            .SelectMany(static s => s.Item2.Keys.Where(static k => k.Range is not null).Select(k => ($"{s.Item1}:{k.Name}", k.Range!)));

    private static string Row(string setting, KeepAliveRangeAttribute range) =>
        $"| `{setting}` | {range} | {range.MinimumReason} | {range.MaximumReason} |";
}

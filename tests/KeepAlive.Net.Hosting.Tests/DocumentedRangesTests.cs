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
        var table = await TableUnderAsync(Heading);

        var declared = DeclaredRanges().Select(static r => Row(r.Setting, r.Range)).ToList();

        declared.Should().HaveCountGreaterThan(20);
        table.Should().Equal(declared, $"the table under \"{Heading}\" must be the declared ranges; they are:\n{string.Join('\n', declared)}\n");
    }

    [Fact]
    public async Task ConfigurationDoc_SchedulerTable_StatesEachOptionsDefaultAndDeclaredRange()
    {
        // HEARTBEATS.md restated the scheduler's ranges by hand ("TakeoverThreshold 1 ms to 1 s"), no doc gave their defaults
        // and reasons side by side, and nothing held either to the declarations.
        const string SchedulerHeading = "### The scheduler's thread settings";
        var table = await TableUnderAsync(SchedulerHeading);
        var defaults = new HeartbeatSchedulerOptions();

        var declared = OptionsSchema.For<HeartbeatSchedulerOptions>().Keys
            .Select(k => $"| `{k.Name}` | {Written(k.GetValue(defaults))} | {k.Range} | {k.Range!.MinimumReason} | {k.Range.MaximumReason} |").ToList();

        declared.Should().HaveCount(3);
        table.Should().Equal(declared, $"the table under \"{SchedulerHeading}\" must be each option's default and declared range; they are:\n{string.Join('\n', declared)}\n");
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
    public async Task HealthDoc_ValidationTable_StatesEachThresholdsDeclaredRangeAndItsReasons()
    {
        // HEALTH.md gave each range without its reasons: why DegradedBudgetFraction refuses 0 was said only in CONFIGURATION.md.
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "HEALTH.md"), TestContext.Current.CancellationToken);

        foreach (var key in OptionsSchema.For<KeepAliveHealthCheckOptions>().Keys)
        {
            markdown.Should().Contain($"| `{key.Name}` | {key.Range} | {key.Range!.MinimumReason} | {key.Range.MaximumReason} |");
        }
    }

    [Fact]
    public void ProfileSections_EveryPropertyOfAProfile_IsASectionTheReaderReads()
    {
        var properties = typeof(KeepAliveProfileOptions).GetProperties().Select(static p => p.Name);

        ProfileSections.All.Select(static s => s.Name).Should().Equal(properties, "a profile property the reader does not know would never be read from configuration");
    }

    // The rows of the first table under a heading of docs/CONFIGURATION.md.
    private static async Task<List<string>> TableUnderAsync(string heading)
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "CONFIGURATION.md"), TestContext.Current.CancellationToken);
        return [.. markdown[(markdown.IndexOf(heading, StringComparison.Ordinal) + heading.Length)..].Split('\n')
            .SkipWhile(static l => !l.StartsWith("| `", StringComparison.Ordinal)).TakeWhile(static l => l.StartsWith('|'))];
    }

    private static string Written(object? value) =>
        value is TimeSpan duration ? KeepAliveDuration.Format(duration) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;

    private static IEnumerable<(string Setting, KeepAliveRangeAttribute Range)> DeclaredRanges() =>
        ProfileSections.All.Select(static s => (s.Name, s.Schema))
            .Append(("Health", OptionsSchema.For<KeepAliveHealthCheckOptions>()))
            .SelectMany(static s => s.Item2.Keys.Where(static k => k.Range is not null).Select(k => ($"{s.Item1}:{k.Name}", k.Range!)));

    private static string Row(string setting, KeepAliveRangeAttribute range) =>
        $"| `{setting}` | {range} | {range.MinimumReason} | {range.MaximumReason} |";
}

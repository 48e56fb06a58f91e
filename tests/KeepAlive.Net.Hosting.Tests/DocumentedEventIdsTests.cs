using System.Reflection;
using System.Text.RegularExpressions;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Every log message the packages write ([LoggerMessage] in src/*/Diagnostics) has a unique id of <see cref="KeepAliveEventIds"/>,
/// and a row of an event table in the docs (CONFIGURATION.md, CLIENTS.md, HEARTBEATS.md) that covers that id and names its level:
/// the ids are what users filter and alert on.
/// </summary>
public sealed partial class DocumentedEventIdsTests
{
    private static readonly string[] EventTables = ["CONFIGURATION.md", "CLIENTS.md", "HEARTBEATS.md"];

    [Fact]
    public void EventIds_AreUnique()
    {
        var ids = Ids();

        ids.GroupBy(static p => p.Value).Where(static g => g.Count() > 1).Select(static g => string.Join(" = ", g.Select(static p => p.Key)))
            .Should().BeEmpty("each event id names one message");
    }

    [Fact]
    public void Docs_EveryLoggedEventId_IsInAnEventTableRowWithItsLevel()
    {
        var ids = Ids();
        var rows = EventTables.SelectMany(static document => TableRows(File.ReadAllText(RepositoryFiles.Path("docs", document)))).ToList();
        var messages = Directory.GetFiles(RepositoryFiles.Path("src"), "*.cs", SearchOption.AllDirectories)
            .Where(static f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(static f => LoggerMessage().Matches(File.ReadAllText(f)))
            .Select(m => (Name: m.Groups["name"].Value, Id: ids[m.Groups["name"].Value], Level: m.Groups["level"].Value))
            .ToList();

        messages.Should().NotBeEmpty();
        var undocumented = messages
            .Where(m => !rows.Any(r => r.First <= m.Id && m.Id <= r.Last && r.Text.Contains(m.Level, StringComparison.Ordinal)))
            .Select(static m => $"{m.Id} {m.Name} ({m.Level})");
        undocumented.Should().BeEmpty("every event id a message is logged with must be in a docs event table, with its level");
    }

    private static Dictionary<string, int> Ids() =>
        typeof(KeepAliveEventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(static f => f.IsLiteral)
            .ToDictionary(static f => f.Name, static f => (int)f.GetRawConstantValue()!, StringComparer.Ordinal);

    // "| 3003 | Error | ..." or "| 1000-1004 | Debug / Warning | ...": the id or range, and the whole row.
    private static IEnumerable<(int First, int Last, string Text)> TableRows(string markdown) =>
        from Match row in TableRow().Matches(markdown)
        let first = int.Parse(row.Groups["first"].Value, System.Globalization.CultureInfo.InvariantCulture)
        select (first, row.Groups["last"].Success ? int.Parse(row.Groups["last"].Value, System.Globalization.CultureInfo.InvariantCulture) : first, row.Value);

    [GeneratedRegex(@"^\| (?<first>\d{4})(-(?<last>\d{4}))? \|.*$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"EventId = KeepAliveEventIds\.(?<name>\w+), Level = LogLevel\.(?<level>\w+)")]
    private static partial Regex LoggerMessage();
}

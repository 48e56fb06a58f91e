using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// Every log message the packages write ([LoggerMessage] in src/*/Diagnostics) has a unique id of <see cref="KeepAliveEventIds"/>,
/// and a row of an event table in the docs (CONFIGURATION.md, CLIENTS.md, HEARTBEATS.md) that covers that id and names its level
/// in the table's level column; every row names ids that exist and levels they are logged at, and every id is logged: the ids
/// are what users filter and alert on.
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
    public void Sources_EveryLoggerMessage_IsReadWithItsIdAndLevel()
    {
        // A [LoggerMessage] written another way (positional arguments, Level before EventId) would escape the check below.
        var sources = Sources();
        var attributes = sources.Sum(static text => LoggerMessageAttribute().Count(text));

        Messages(sources).Should().HaveCount(attributes, "every [LoggerMessage] must read 'EventId = KeepAliveEventIds.X, Level = LogLevel.Y', every LogFields.Write 'LogFields.Write(logger, LogLevel.Y, new(KeepAliveEventIds.X'");
    }

    [Fact]
    public void Docs_EventTables_DocumentEveryLoggedEventWithItsLevelAndNothingElse()
    {
        var documents = EventTables.Select(static d => (d, File.ReadAllText(RepositoryFiles.Path("docs", d))));

        Problems(Messages(Sources()), documents).Should().BeEmpty();
    }

    [Fact]
    public void Docs_ConfigurationEventTable_CoversEveryEventId()
    {
        // CONFIGURATION.md's table is the one list of all ids: a family documented elsewhere (CLIENTS.md, HEARTBEATS.md) has a row there pointing to it.
        var rows = Rows("CONFIGURATION.md", File.ReadAllText(RepositoryFiles.Path("docs", "CONFIGURATION.md"))).ToList();

        Ids().Where(i => !rows.Any(r => r.First <= i.Value && i.Value <= r.Last)).Select(static i => $"{i.Value} {i.Key}")
            .Should().BeEmpty("a reader of CONFIGURATION.md's 'Log event ids' must find every id, or where it is described");
    }

    [Theory]
    [InlineData("| 2003 | `HeartbeatBudgetWarning` | Warning |", "| 2003 | `HeartbeatBudgetWarning` | Error |", "'| 2003 | `HeartbeatBudgetWarning` | Error |' says Error")] // its name holds the level it is logged at
    [InlineData("| 2011 | `HeartbeatSchedulerLifecycle` | Debug |\n", "", "covers 2011, which have no row of their own")]
    [InlineData("| 2011 | `HeartbeatSchedulerLifecycle` | Debug |", "| 2011 | `HeartbeatSchedulerLifecycle` | Debug |\n| 2099 | `HeartbeatNoSuchEvent` | Warning |", "2099")]
    [InlineData("| 2011 | `HeartbeatSchedulerLifecycle` | Debug |", "| 2011 | `HeartbeatSchedulerLifecycle` | Debug / Error |", "Error")]
    [InlineData("| 2011 | `HeartbeatSchedulerLifecycle` | Debug |", "| 2011 | `HeartbeatSchedulerLifecycle` | Verbose |", "Verbose")]
    public void Problems_ADocumentWithAWrongRow_SaysWhich(string row, string replacement, string expected)
    {
        var heartbeats = File.ReadAllText(RepositoryFiles.Path("docs", "HEARTBEATS.md"));
        heartbeats.Should().Contain(row);
        var documents = EventTables.Select(d => (d, d == "HEARTBEATS.md" ? heartbeats.Replace(row, replacement, StringComparison.Ordinal) : File.ReadAllText(RepositoryFiles.Path("docs", d))));

        Problems(Messages(Sources()), documents).Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
    }

    // Each logged (id, level) needs a row covering the id whose level column names the level; each row's ids must exist and
    // each level it names must be one a message of those ids is logged at; each id must be logged.
    private static List<string> Problems(IReadOnlyList<(string Name, int Id, LogLevel Level)> messages, IEnumerable<(string Document, string Text)> documents)
    {
        var ids = Ids();
        var rows = documents.SelectMany(static d => Rows(d.Document, d.Text)).ToList();
        var problems = messages
            .Where(m => !rows.Any(r => r.First <= m.Id && m.Id <= r.Last && r.Levels.Contains(m.Level.ToString())))
            .Select(static m => $"{m.Id} {m.Name} ({m.Level}) is in no event table row with that level")
            .ToList();
        problems.AddRange(ids.Where(i => !messages.Any(m => m.Id == i.Value)).Select(static i => $"{i.Value} {i.Key} is never logged"));
        foreach (var row in rows)
        {
            var range = Enumerable.Range(row.First, row.Last - row.First + 1).ToList();
            var missing = range.Where(id => !ids.ContainsValue(id)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{row.Document}: '{row.Text}' documents {string.Join(", ", missing)}, which KeepAliveEventIds does not have");
                continue;
            }

            // A range that points to a table with a row per id (2000-2013, 3200-3205) needs every id there.
            var alone = range.Where(id => rows.Any(r => r.First == id && r.Last == id)).ToList();
            if (alone.Count > 0 && alone.Count < range.Count)
            {
                problems.Add($"{row.Document}: '{row.Text}' covers {string.Join(", ", range.Except(alone))}, which have no row of their own as the others of it do");
            }

            var covered = messages.Where(m => row.First <= m.Id && m.Id <= row.Last).ToList();
            problems.AddRange(row.Levels.Where(level => !covered.Any(m => m.Level.ToString() == level))
                .Select(level => $"{row.Document}: '{row.Text}' says {level}, which none of its ids is logged at"));
        }

        return problems;
    }

    private static List<string> Sources() =>
        [.. Directory.GetFiles(RepositoryFiles.Path("src"), "*.cs", SearchOption.AllDirectories)
            .Where(static f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)];

    private static List<(string Name, int Id, LogLevel Level)> Messages(IEnumerable<string> sources)
    {
        var ids = Ids();
        return [.. sources.SelectMany(static text => LoggerMessage().Matches(text))
            .Select(m => (m.Groups["name"].Value, ids[m.Groups["name"].Value], Enum.Parse<LogLevel>(m.Groups["level"].Value)))];
    }

    private static Dictionary<string, int> Ids() =>
        typeof(KeepAliveEventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(static f => f.IsLiteral)
            .ToDictionary(static f => f.Name, static f => (int)f.GetRawConstantValue()!, StringComparer.Ordinal);

    // The rows of every table whose header has an id and a level column: "| 3003 | Error | ..." or "| 1000-1004 | Debug / Warning | ...",
    // "| 2002 | `HeartbeatLate` | Warning |"; the levels are read from the level column only.
    private static IEnumerable<(string Document, string Text, int First, int Last, string[] Levels)> Rows(string document, string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        int? idColumn = null, levelColumn = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|'))
            {
                idColumn = levelColumn = null;
                continue;
            }

            var cells = lines[i].Trim().Trim('|').Split('|').Select(static c => c.Trim()).ToArray();
            if (i + 1 < lines.Length && lines[i + 1].StartsWith("|---", StringComparison.Ordinal))
            {
                idColumn = Array.FindIndex(cells, static c => c.Equals("id", StringComparison.OrdinalIgnoreCase));
                levelColumn = Array.FindIndex(cells, static c => c.Equals("level", StringComparison.OrdinalIgnoreCase));
                continue;
            }

            if (idColumn is not { } id || levelColumn is not { } level || id < 0 || level < 0 || cells.Length <= Math.Max(id, level)
                || IdCell().Match(cells[id]) is not { Success: true } ids)
            {
                continue;
            }

            var first = int.Parse(ids.Groups["first"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var last = ids.Groups["last"].Success ? int.Parse(ids.Groups["last"].Value, System.Globalization.CultureInfo.InvariantCulture) : first;
            yield return (document, lines[i], first, last, [.. cells[level].Split('/').Select(static l => l.Trim())]);
        }
    }

    [GeneratedRegex(@"^(?<first>\d{4})(-(?<last>\d{4}))?$")]
    private static partial Regex IdCell();

    // A message is declared by [LoggerMessage], or written through LogFields (one whose record keeps fields its text does not show).
    [GeneratedRegex(@"\[LoggerMessage\(|LogFields\.Write\(")]
    private static partial Regex LoggerMessageAttribute();

    [GeneratedRegex(@"\[LoggerMessage\(EventId = KeepAliveEventIds\.(?<name>\w+), Level = LogLevel\.(?<level>\w+)|LogFields\.Write\(logger, LogLevel\.(?<level>\w+), new\(KeepAliveEventIds\.(?<name>\w+)")]
    private static partial Regex LoggerMessage();
}

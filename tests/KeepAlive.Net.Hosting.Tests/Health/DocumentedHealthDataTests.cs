using System.Diagnostics;
using System.Text.RegularExpressions;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// docs/HEALTH.md's data dictionary names every key the keep-alive health check writes into its entry's data; it and the
/// XML docs of AddKeepAlive name the instruments the check listens to.
/// </summary>
public sealed partial class DocumentedHealthDataTests
{
    private const string Heading = "## Data dictionary";

    [Fact]
    public async Task HealthDoc_DataDictionary_NamesEveryKeyTheCheckWrites()
    {
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "HEALTH.md"), TestContext.Current.CancellationToken);
        var section = markdown[(markdown.IndexOf(Heading, StringComparison.Ordinal) + Heading.Length)..];
        var documented = section[..section.IndexOf("\n## ", StringComparison.Ordinal)].Split('\n')
            .Where(static l => l.StartsWith('|'))
            .SelectMany(static l => KeyCell().Match(l) is { Success: true } m ? Quoted().Matches(m.Groups[1].Value).Select(static q => q.Groups[1].Value) : [])
            .ToHashSet(StringComparer.Ordinal);
        using var host = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "payments", TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1));
            s.AddHealthChecks().AddKeepAlive();
        });
        using var monitor = HealthHosts.Monitor(host, "payments");
        monitor.RecordSentNow(Stopwatch.GetTimestamp());

        var entry = await HealthHosts.CheckAsync(host);

        var written = entry.Data.Keys.Select(static k => k.Replace("payments:", "<profile>:", StringComparison.Ordinal)).ToList();
        written.Should().Contain("<profile>:IdleBudgetSeconds", "a profile with PeerIdleTimeout has its budget in the data");
        written.Where(k => !documented.Contains(k)).Should().BeEmpty($"each key the check writes has a row under \"{Heading}\" in docs/HEALTH.md, which names {string.Join(", ", documented)}");
    }

    [Fact]
    public async Task Docs_OfTheCheck_NameExactlyTheInstrumentsItsListenerListensTo()
    {
        // The listener's instruments were an inline pattern, and this test held the XML docs to docs/HEALTH.md's list, not to
        // the listener: an instrument left out of both docs (or a fifth one the listener heard) went unnoticed.
        var markdown = await File.ReadAllTextAsync(RepositoryFiles.Path("docs", "HEALTH.md"), TestContext.Current.CancellationToken);
        var paragraph = markdown[markdown.IndexOf("The check listens with a `MeterListener`", StringComparison.Ordinal)..];
        paragraph = Parenthesised().Replace(paragraph[..paragraph.IndexOf("\n\n", StringComparison.Ordinal)], string.Empty);
        paragraph = paragraph[..paragraph.IndexOf(". ", StringComparison.Ordinal)]; // its first sentence, tags in parentheses left out
        var listened = Quoted().Matches(paragraph).Select(static q => q.Groups[1].Value).Where(static n => n.StartsWith("keepalive.", StringComparison.Ordinal)).ToList();
        var xml = System.Xml.Linq.XDocument.Load(Path.Combine(AppContext.BaseDirectory, "KeepAlive.Net.Hosting.xml"));
        var remarks = xml.Descendants("member")
            .Single(static m => (string?)m.Attribute("name") == "T:Microsoft.Extensions.DependencyInjection.KeepAliveHealthChecksBuilderExtensions").Value;
        var instruments = KeepAliveTelemetryListener.Instruments;

        listened.Should().BeEquivalentTo(instruments, $"docs/HEALTH.md's paragraph names each instrument the check listens to ({string.Join(", ", instruments)}), and no other");
        instruments.Where(n => !remarks.Contains(n, StringComparison.Ordinal)).Should().BeEmpty(
            $"the XML docs of AddKeepAlive's class name every instrument the check listens to ({string.Join(", ", instruments)})");
    }

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex Parenthesised();

    // The first cell of a row: one or more `key`s.
    [GeneratedRegex(@"^\|\s*([^|]+)\|")]
    private static partial Regex KeyCell();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Quoted();
}

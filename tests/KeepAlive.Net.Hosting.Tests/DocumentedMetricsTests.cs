using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// HEARTBEATS.md's metrics table is what dashboards and alerts are built on: every instrument the packages publish on the
/// <c>KeepAlive.Net</c> meter is a row with its kind, unit and tags, and every row is an instrument.
/// </summary>
public sealed partial class DocumentedMetricsTests
{
    // How long the test waits for a measurement its threads make (the overdue watch, the scheduler's blocked send and dead
    // peer): each takes well under a second on an idle machine; the bound only ends a wait that would never succeed, so it is
    // generous for a loaded 2-core CI machine, and a missing measurement then fails the assertions below by name.
    private static readonly TimeSpan MeasuredWithin = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Docs_MetricsTable_IsEveryInstrumentWithItsKindUnitAndTags()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10s",
        }).Build();
        using var services = new ServiceCollection().AddMetrics().AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var published = new ConcurrentDictionary<string, Instrument>();
        var tagsSeen = new ConcurrentDictionary<string, ConcurrentDictionary<string, byte>>();
        var measured = new ConcurrentDictionary<string, byte>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "KeepAlive.Net" && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    published[instrument.Name] = instrument;
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Measured(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            measured[instrument.Name] = 0;
            var keys = string.Join(", ", tags.ToArray().Select(static t => t.Key).Order(StringComparer.Ordinal));
            tagsSeen.GetOrAdd(instrument.Name, static _ => new())[keys] = 0;
            if (tags.ToArray().FirstOrDefault(static t => t.Key == "keepalive.lateness.cause").Value is string cause)
            {
                tagsSeen.GetOrAdd("cause values", static _ => new())[cause] = 0;
            }
        }

        async Task UntilMeasured(params string[] names)
        {
            var waiting = Stopwatch.StartNew();
            while (!names.All(measured.ContainsKey) && waiting.Elapsed < MeasuredWithin)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Measured(instrument, tags));
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Measured(instrument, tags));
        listener.Start();

        // Every kind of measurement: a late heartbeat (delayed, skipped), a failed one, a blocked one, an overdue one, a dead peer,
        // a refused reload, a log record the application's logger threw on.
        var profiles = services.GetRequiredService<IKeepAliveProfiles>();
        profiles.GetProfile("payments").Heartbeat.Interval.Should().Be(TimeSpan.FromSeconds(10));
        using (var monitor = new DriftMonitor(new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromSeconds(1) }, null, null, meters))
        {
            var now = TimeProvider.System.GetTimestamp();
            monitor.Record(now - (long)(3.5 * TimeProvider.System.TimestampFrequency), now);
            monitor.RecordFailure(now, now, new IOException("reset"));
        }

        // A log record dropped because the application's logger threw (its one provider does, so Logger throws).
        var throwingSink = FakeLogCollector.Create(new FakeLogCollectorOptions { OutputSink = static _ => throw new InvalidOperationException("a logging provider that fails") });
        using (var brokenLogging = LoggerFactory.Create(logging => logging.AddProvider(new FakeLoggerProvider(throwingSink))))
        using (var logged = new DriftMonitor(new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromSeconds(1) }, null, brokenLogging, meters))
        {
            var now = TimeProvider.System.GetTimestamp();
            logged.Record(now - (long)(3.5 * TimeProvider.System.TimestampFrequency), now);
        }

        using (var watched = new DriftMonitor(new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromMilliseconds(100), DriftWarningThreshold = TimeSpan.FromMilliseconds(50) }, null, null, meters))
        {
            watched.RecordSentNow(TimeProvider.System.GetTimestamp());
            using var watch = watched.WatchForOverdue();
            await UntilMeasured("keepalive.heartbeat.overdue");
        }

        // The registration lives until both its blocked send and its dead peer are measured, whichever order the scheduler's
        // threads report them in: a peer declared dead before the first heartbeat ran, or before a PeerDead handler was
        // attached, must not end the wait early or never.
        using (services.GetRequiredService<IHeartbeatScheduler>().Register(
            new HeartbeatOptions { Name = "payments", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(300), BlockedCallbackThreshold = TimeSpan.FromMilliseconds(5) },
            static _ =>
            {
                Thread.Sleep(30);
                return ValueTask.CompletedTask;
            }))
        {
            await UntilMeasured("keepalive.heartbeat.blocked", "keepalive.peer.dead");
        }

        configuration["KeepAlive:Profiles:payments:Heartbeat:Interval"] = "10";
        configuration.Reload();
        profiles.GetProfile("payments").Heartbeat.Interval.Should().Be(TimeSpan.FromSeconds(10), "the refused reload keeps the last valid value");

        var documented = Documented();
        published.Keys.Order(StringComparer.Ordinal).Should().Equal(documented.Keys.Order(StringComparer.Ordinal), "every instrument is documented and every documented one exists");
        foreach (var (name, instrument) in published)
        {
            name.Should().MatchRegex(@"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", "OpenTelemetry names are lowercase and dotted");
            (Kind(instrument), instrument.Unit).Should().Be((documented[name].Kind, documented[name].Unit), name);
            measured.Keys.Should().Contain(name, "the test measures every instrument, to read its tags");
            tagsSeen[name].Keys.Should().Equal(new[] { string.Join(", ", documented[name].Tags.Order(StringComparer.Ordinal)) }, "{0} is measured with the documented tags", name);
        }

        var causes = Enum.GetNames<HeartbeatDelayCause>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName);
        documented["keepalive.heartbeat.lateness"].Values.Should().BeEquivalentTo(causes, "the documented cause values are HeartbeatDelayCause's");
        tagsSeen["cause values"].Keys.Should().BeSubsetOf(causes);
    }

    [Fact]
    public void Docs_MetricsTable_EveryTagIsNamespacedAndNoNameIsAnotherOnesNamespace()
    {
        // OpenTelemetry's attribute naming: names are lowercase and namespaced with dots, and metric names and attributes share
        // one hierarchy, in which a name must not also be a namespace ("keepalive.peer.dead.reason" would make the metric
        // "keepalive.peer.dead" one). A bare "cause" or "reason" clashes with every other library's on the same exporter.
        var documented = Documented();
        var names = documented.Keys.Concat(documented.Values.SelectMany(static row => row.Tags)).Distinct(StringComparer.Ordinal).ToList();

        foreach (var tag in documented.Values.SelectMany(static row => row.Tags).Distinct(StringComparer.Ordinal))
        {
            tag.Should().MatchRegex(@"^keepalive(\.[a-z][a-z0-9_]*)+$", "a tag of ours is in the keepalive namespace");
            documented.Keys.Should().NotContain(tag, "a tag is not named as a metric");
        }

        foreach (var name in names)
        {
            names.Should().NotContain(other => other.StartsWith(name + ".", StringComparison.Ordinal), "{0} is a name, so it is not also a namespace", name);
        }
    }

    private static string Kind(Instrument instrument) => instrument.GetType().GetGenericTypeDefinition().Name switch
    {
        "Histogram`1" => "histogram",
        "Counter`1" => "counter",
        "UpDownCounter`1" => "up-down counter",
        var other => other,
    };

    // "| `keepalive.heartbeat.lateness` | histogram | s | `keepalive.heartbeat.name`, `cause` (`none`, ...) |": the tags are the
    // backticked names outside parentheses, the values those inside.
    private static Dictionary<string, (string Kind, string Unit, string[] Tags, string[] Values)> Documented()
    {
        var markdown = File.ReadAllText(RepositoryFiles.Path("docs", "HEARTBEATS.md"));
        var section = markdown[markdown.IndexOf("## Metrics", StringComparison.Ordinal)..];
        var table = section[..section.IndexOf("\n## ", StringComparison.Ordinal)];
        return MetricRow().Matches(table).ToDictionary(
            static m => m.Groups["name"].Value,
            static m =>
            {
                var tags = m.Groups["tags"].Value;
                var outside = Regex.Replace(tags, @"\([^)]*\)", string.Empty);
                var inside = string.Concat(Regex.Matches(tags, @"\([^)]*\)").Select(static p => p.Value));
                return (m.Groups["kind"].Value.Trim(), m.Groups["unit"].Value.Trim(), Quoted(outside), Quoted(inside));
            },
            StringComparer.Ordinal);

        static string[] Quoted(string text) => [.. Regex.Matches(text, "`([^`]+)`").Select(static q => q.Groups[1].Value)];
    }

    [GeneratedRegex(@"^\| `(?<name>keepalive\.[^`]+)` \|(?<kind>[^|]+)\|(?<unit>[^|]+)\|(?<tags>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex MetricRow();
}

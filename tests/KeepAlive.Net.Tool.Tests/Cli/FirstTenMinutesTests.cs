using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KeepAlive.Net.Hosting.Tests;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// What a new user meets in the first ten minutes: the README's commands work as written from the repository root,
/// the folders its install steps create are ignored, and every screen writes durations one way.
/// </summary>
public sealed partial class FirstTenMinutesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-first-").FullName;

    public static TheoryData<string, string> DocumentedCommands()
    {
        var commands = new TheoryData<string, string>();
        foreach (var document in new[] { "README.md", Path.Combine("docs", "TOOL.md") })
        {
            foreach (Match block in BashBlock().Matches(File.ReadAllText(RepositoryFiles.Path(document))))
            {
                foreach (var line in block.Groups[1].Value.Split('\n'))
                {
                    var command = line.Split('#')[0].Trim();
                    if (KeepaliveShow().IsMatch(command))
                    {
                        commands.Add(document, command);
                    }
                }
            }
        }

        return commands;
    }

    [Theory]
    [MemberData(nameof(DocumentedCommands))]
    public async Task DocumentedShowCommand_FromTheRepositoryRoot_RunsAsWritten(string document, string command)
    {
        var arguments = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(static a => !a.EndsWith("keepalive", StringComparison.Ordinal)).Skip(1).ToArray();

        var run = await ToolRun.RunCommandAsync([.. ToolRun.Dotnet(Path.GetDirectoryName(ToolRun.ToolDll)!), .. arguments], TimeSpan.FromMinutes(1), null, RepositoryFiles.Root);

        run.ExitCode.Should().Be(0, $"{document} says to run '{command}' from the repository root:\n{run.Interleaved}");
        run.Output.Should().Contain("Profile '");
    }

    [Fact]
    public void DocumentedCommands_IncludeTheReadmeInstallStepsShowWithAProfile() =>
        DocumentedCommands().Select(static row => row.Data.Item1).Should().Contain("README.md");

    [Theory]
    [InlineData("feed/KeepAlive.Net.Tool.0.1.0.nupkg")]
    [InlineData("tools/keepalive")]
    public void InstallFolders_TheReadmeCreates_AreIgnoredByGit(string path)
    {
        TestEnvironment.Require(Directory.Exists(RepositoryFiles.Path(".git")) || File.Exists(RepositoryFiles.Path(".git")), "not a git checkout");

        var (exitCode, output) = NetworkNamespace.Run("git", "-C", RepositoryFiles.Root, "check-ignore", "-v", path);

        exitCode.Should().Be(0, $"'{path}' must be ignored: {output}");
        output.Should().Contain(".gitignore");
    }

    [Fact]
    public async Task EveryScreen_WritesDurationsInOneStyle()
    {
        var settings = Path.Combine(_folder, "appsettings.json");
        await File.WriteAllTextAsync(settings, """{ "KeepAlive": { "Profiles": { "payments": { "Tcp": { "IdleTime": "30s", "Interval": "5s", "ProbeCount": 4 }, "Heartbeat": { "PeerIdleTimeout": "50s" } } } } }""");
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener.Listen(8);
        var target = listener.LocalEndPoint!.ToString()!;
        using var held = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        await held.ConnectAsync(listener.LocalEndPoint!);
        var capture = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.0005, false, 5000, 1001, "S.").Add(0.001, true, 1001, 5001, ".")
            .Add(1, true, 1001, 5001, ".", payload: 4).Add(1.001, false, 5001, 1005, ".")
            .Add(3.5, true, 1005, 5001, ".", payload: 4).Add(3.501, false, 5001, 1009, ".")
            .Write(Path.Combine(_folder, "late.pcap"));

        var screens = new List<string>();
        foreach (var args in new[]
        {
            ["show", "--settings", settings, "--profile", "payments"],
            ["check", target, "--settings", settings, "--profile", "payments", "--hold", "1500ms", "--heartbeat", "x", "--every", "500ms"],
            ["analyze", capture, "--heartbeat-interval", "1s", "--idle-timeout", "2s"],
            ["doctor", "--pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--settings", settings, "--profile", "payments"],
            ["probe-idle", target, "--max", "1500ms"],
            new[] { "show", "--idle", "30s", "--interval", "5s", "--count", "4", "--peer-idle-timeout", "AwsNlb" },
        })
        {
            var (_, text, error) = await ToolRun.InProcessAsync(args);
            screens.Add(text + error);
        }

        var all = string.Join("\n", screens);
        DurationText.NotReadBack(all).Should().BeEmpty("every duration is written as the configuration reads it, like 47s500ms, 5m50s or 250ms");
        Clock().Matches(all).Select(static m => m.Value).Should().BeEmpty("a clock (00:00:50) is a second way to write a duration");
        all.Should().Contain("47s500ms").And.Contain("5m50s").And.Contain("[::1]:", "IPv6 endpoints print as they are");
        screens.Should().OnlyContain(static s => DurationText.Durations(s).Count > 0);
    }

    [Fact]
    public void ToolDoc_EveryDuration_WrittenAsTheToolPrintsIt()
    {
        // The tool prints "1s to 7d" (its --help ranges, its refusals, its verdicts); its manual wrote "1 s to 7 d".
        var manual = File.ReadAllText(RepositoryFiles.Path("docs", "TOOL.md"));

        DurationText.Durations(manual).Should().Contain(["1s", "7d", "10ms"], "the manual states the flags' ranges");
        DurationText.NotReadBack(manual).Should().Equal(
            ["99999999999999999999d"], "docs/TOOL.md writes every duration as the tool prints it and the configuration reads it, but for the value too large for a TimeSpan it shows refused");
    }

    [Fact]
    public void Docs_PerformanceFigures_StatedOnceInThePerformanceTablesAndReferredToElsewhere()
    {
        var readme = File.ReadAllText(RepositoryFiles.Path("README.md"));
        var performance = readme[readme.IndexOf("\n## Performance", StringComparison.Ordinal)..];
        performance = performance[..performance.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var lines = performance.Split('\n');
        var cells = lines.Where(static l => l.StartsWith('|')).SelectMany(static l => l.Split('|'))
            .Select(static c => c.Trim().Trim('*')).Where(static c => Figure().IsMatch(c) && Figure().Match(c).Value == c).ToHashSet();
        var prose = lines.Where(static l => !l.StartsWith('|') && !l.StartsWith("**", StringComparison.Ordinal));

        var ours = lines.Where(static l => l.StartsWith("| 100,000 | KeepAlive.Net |", StringComparison.Ordinal)).Select(static l => l.Split('|')[4].Trim()).ToList();
        ours.Should().ContainSingle("the cost table has one row for KeepAlive.Net at 100,000 registrations");
        cells.Should().Contain(ours, "the cost table holds the CPU per fire");
        prose.SelectMany(static l => Figure().Matches(l).Select(m => (Line: l, Figure: m.Value)))
            .Where(f => cells.Contains(f.Figure) && UnitAfter().IsMatch(f.Line[(f.Line.IndexOf(f.Figure, StringComparison.Ordinal) + f.Figure.Length)..]))
            .Select(static f => $"'{f.Figure}' in: {f.Line}").Should().BeEmpty("the prose points to the tables instead of repeating them");
        readme[..readme.IndexOf("\n## Performance", StringComparison.Ordinal)].Should().NotMatchRegex(@"\d(\.\d+)? ?(µs|ns)\b", "outside Performance, costs are referred to, not quoted");
        File.ReadAllText(RepositoryFiles.Path("docs", "ARCHITECTURE.md")).Should().NotMatchRegex(@"\d(\.\d+)? µs of CPU|\d+ ?B per registration", "ARCHITECTURE.md refers to the Performance tables");
    }

    [Fact]
    public void ToolSource_WritesTablesAndLinesOnlyThroughPlain()
    {
        // Spectre reads "[::1]" in markup as a style and aborts; Plain never hands it markup. Nothing else may.
        var markup = Directory.GetFiles(RepositoryFiles.Path("src", "KeepAlive.Net.Tool"), "*.cs", SearchOption.AllDirectories)
            .Where(static f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && Path.GetFileName(f) != "Plain.cs")
            .SelectMany(static f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(static l => MarkupCall().IsMatch(l.Text))
            .Select(static l => $"{l.File}:{l.Line}: {l.Text.Trim()}");

        markup.Should().BeEmpty();
    }

    [Fact]
    public async Task Demo_TableShowsTheLatenessThatKilledTheConnectionAndSaysWhyKernelKeepAliveCannotHelp()
    {
        var (exitCode, output) = await KeepAlive.Net.Hosting.Tests.Packaging.DotnetCli.RunAsync(RepositoryFiles.Root, TimeSpan.FromMinutes(5),
            "run", "--project", RepositoryFiles.Path("examples", "KeepAlive.Demo"));

        exitCode.Should().Be(0, output);
        output.Should().Contain("Both sockets have kernel keep-alive").And.Contain("cannot save either")
            .And.Contain("Only the application heartbeat, bytes the peer reads, restarts the peer's idle timer");
        var worst = DemoWorst().Match(output).Groups[1].Value;
        var rows = output.Split('\n').Where(static line => DemoRow().IsMatch(line)).ToList();
        rows.Should().Contain(row => row.Contains("KILLED (", StringComparison.Ordinal), "the row where the peer closed the connection says so");
        rows.First(static row => row.Contains(" closed", StringComparison.Ordinal) || row.Contains("KILLED (", StringComparison.Ordinal)).Should().Contain("KILLED (",
            "the first row that sees the connection gone says why (the proxy closed it before recording the kill, so under the flood a row could read 'closed' first)");
        rows.Should().Contain(row => Regex.IsMatch(row, $@"\s{Regex.Escape(worst)}\s+closed"),
            $"the PeriodicTimer heartbeat's {worst} lateness, the one the result reports, shows in the second it finally left");
        output.Should().Contain("! warning 2014, while the PeriodicTimer heartbeat still waits:").And.Contain("cause ThreadPoolStarvation;")
            .And.Contain("DriftMonitor's overdue watch warned at", "the watch says the heartbeat is late while it still waits, before it finally leaves");
        var phaseColumn = rows.Select(static row => DemoRow().Match(row).Groups[1].Index).Distinct().Should().ContainSingle("the table's rows align").Subject;
        output.Split('\n').Where(static line => line.Contains("! warning 2014", StringComparison.Ordinal)).Select(static line => line.IndexOf('!', StringComparison.Ordinal))
            .Should().NotBeEmpty().And.AllBeEquivalentTo(phaseColumn, "a warning 2014 row is a row of the table: its time fits the time column and its text starts at the phase column");
        DurationText.NotReadBack(output).Should().BeEmpty("the demo writes durations as the library does (\"54ms\", \"7s3ms\", \"2s\"), as its warning 2014 line and kernel settings do");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Figure();

    [GeneratedRegex(@"^\s?(µs|ms|x\b|%)")]
    private static partial Regex UnitAfter();

    [GeneratedRegex(@"\bMarkup(Line)?(Interpolated)?\(|\.AddRow\(|new TableTitle\(|\.AddColumns\(|new Markup\(")]
    private static partial Regex MarkupCall();

    [GeneratedRegex(@"PeriodicTimer : max lateness (\S+),")]
    private static partial Regex DemoWorst();

    [GeneratedRegex(@"^\s*\d+s\s+(calm|STARVED|recovered)\s")]
    private static partial Regex DemoRow();

    [GeneratedRegex("```bash\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"(^|/)keepalive show .*--settings ")]
    private static partial Regex KeepaliveShow();

    /// <summary>"00:00:50": a clock, which the configuration reads too, but which no message writes.</summary>
    [GeneratedRegex(@"\b\d{2}:\d{2}:\d{2}\b")]
    private static partial Regex Clock();
}

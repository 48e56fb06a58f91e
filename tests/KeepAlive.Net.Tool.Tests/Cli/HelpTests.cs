using System.Reflection;
using System.Text.RegularExpressions;
using KeepAlive.Net.Tool.Cli;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>Help names the command people type, <c>keepalive</c>, not the assembly it is built from.</summary>
public sealed partial class HelpTests
{
    [Fact]
    public async Task Help_AsAProcess_NamesTheCommandKeepalive()
    {
        // As a process the runtime's executable name is the assembly, KeepAlive.Net.Tool: what System.CommandLine's
        // RootCommand would print.
        var (exitCode, output) = await ToolRun.ProcessAsync(null, TimeSpan.FromMinutes(1), "--help");

        exitCode.Should().Be(0, output);
        output.Should().Contain("keepalive [command] [options]").And.NotContain("KeepAlive.Net.Tool");
        output.Should().Contain("show").And.Contain("check <endpoint>").And.Contain("analyze <file>").And.Contain("doctor").And.Contain("probe-idle <endpoint>");
    }

    [Theory]
    [InlineData("show", "keepalive show [options]")]
    [InlineData("check", "keepalive check <endpoint> [options]")]
    [InlineData("analyze", "keepalive analyze <file> [options]")]
    [InlineData("doctor", "keepalive doctor [options]")]
    [InlineData("probe-idle", "keepalive probe-idle <endpoint> [options]")]
    public async Task Help_OfEachCommand_ShowsItsUsageUnderKeepalive(string command, string usage)
    {
        var (exitCode, output, _) = await ToolRun.InProcessAsync(command, "--help");

        exitCode.Should().Be(0);
        output.Should().Contain(usage).And.NotContain("KeepAlive.Net.Tool");
    }

    [Fact]
    public async Task JsonOption_OfEveryCommandThatHasIt_IsDeclaredOnceWithOneDescription()
    {
        var root = ToolApp.Create(ToolConsole.Plain(TextWriter.Null, TextWriter.Null));
        var json = root.Subcommands.SelectMany(c => c.Options.Where(static o => o.Name == JsonOutput.OptionName).Select(o => (Command: c.Name, o.Description))).ToList();

        json.Select(static j => j.Command).Should().BeEquivalentTo(["analyze", "doctor", "probe-idle"]);
        json.Select(static j => j.Description).Distinct().Should().ContainSingle("one option, one description, in every command that has it")
            .Which.Should().NotBeNullOrWhiteSpace();
        foreach (var (command, description) in json)
        {
            var (exitCode, output, _) = await ToolRun.InProcessAsync(command, "--help");
            exitCode.Should().Be(0);
            output.Should().Contain(description![..40], $"'{command} --help' shows it");
        }
    }

    [Fact]
    public void DurationOptions_OfEveryCommand_ShowTheRangeTheyEnforce()
    {
        // docs/TOOL.md: every duration flag has a declared range that --help shows and the parser enforces. 'doctor
        // --help' said of --peer-idle-timeout only "a preset (...) or a duration such as 350s", yet refused 0s and 2d.
        var root = ToolApp.Create(ToolConsole.Plain(TextWriter.Null, TextWriter.Null));
        var durations = root.Subcommands.SelectMany(c => c.Options.Where(static o => o.HelpName?.Contains("duration", StringComparison.Ordinal) == true)
            .Select(o => (Flag: $"{c.Name} {o.Name}", o.Description))).ToList();

        durations.Select(static d => d.Flag).Should().Contain("doctor --peer-idle-timeout");
        foreach (var (flag, description) in durations)
        {
            description.Should().MatchRegex(@"\b\d+[a-z]+ to \d+[a-z]+\b", $"'{flag}' is a duration, and its help shows the range it enforces");
        }
    }

    [Fact]
    public async Task Help_OfTheRoot_ListsEveryExitCodeExitCodesDeclares()
    {
        // The exit codes are a contract for scripts, declared in ExitCodes; the root --help listed them as literal numbers
        // ("0 fine, 1 a finding ..., 130 stopped by Ctrl-C ..."), so a code changed there would have left help naming the old one.
        var declared = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(static f => f.IsLiteral)
            .Select(static f => (int)f.GetRawConstantValue()!).Order().ToList();

        var (exitCode, output, _) = await ToolRun.InProcessAsync("--help");

        exitCode.Should().Be(0);
        var sentence = output[output.IndexOf("Exit codes: ", StringComparison.Ordinal)..];
        sentence = Parenthesised().Replace(sentence[..sentence.IndexOf('\n', StringComparison.Ordinal)], string.Empty);
        ListedCode().Matches(sentence).Select(static m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal(declared, $"the root --help lists every exit code ExitCodes declares, and no other: {sentence}");
    }

    [Fact]
    public void Docs_ExitCodes_ReadmeAndToolMdListEveryExitCodeExitCodesDeclares()
    {
        // The README's sentence stopped at 3 when 70 (internal error) and 130 (interrupted) were added: a script writer
        // reading it would not know them. docs/TOOL.md's table and the README's sentence list what ExitCodes declares.
        var declared = ExitCodes.Meanings.Select(static m => m.Code).ToList();
        var table = File.ReadAllLines(KeepAlive.Net.Hosting.Tests.RepositoryFiles.Path("docs", "TOOL.md"))
            .Select(static l => TableCode().Match(l)).Where(static m => m.Success).Select(static m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        table.Should().Equal(declared, "docs/TOOL.md's exit-code table has one row per code ExitCodes declares, in order");

        var readme = File.ReadAllText(KeepAlive.Net.Hosting.Tests.RepositoryFiles.Path("README.md")).ReplaceLineEndings(" ");
        var sentence = readme[readme.IndexOf("Exit codes: ", StringComparison.Ordinal)..];
        sentence = Parenthesised().Replace(sentence[..sentence.IndexOf(". ", StringComparison.Ordinal)], string.Empty);
        ListedCode().Matches(sentence).Select(static m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal(declared, $"the README lists every exit code ExitCodes declares, and no other: {sentence}");
    }

    [Fact]
    public async Task UnknownCommand_ExitsTwoPointingToKeepaliveHelp()
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("nope");

        exitCode.Should().Be(2);
        error.Should().Contain("'nope'").And.Contain("keepalive --help");
    }

    // "| 70 | an internal error ...": a row of docs/TOOL.md's exit-code table.
    [GeneratedRegex(@"^\| (\d+) \|")]
    private static partial Regex TableCode();

    [GeneratedRegex(@"\s*\([^)]*\)")]
    private static partial Regex Parenthesised();

    // "Exit codes: 0 fine, 1 a finding, ...": the code that starts each item.
    [GeneratedRegex(@"(?:: |, )(\d+) ")]
    private static partial Regex ListedCode();
}

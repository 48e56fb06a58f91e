using System.Text.Json;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// What System.CommandLine refuses before any command runs (a repeated, unknown or value-less option, a missing required
/// option or argument, an unknown command) is told the tool's way, as every other refusal is: what was written, what
/// is wrong, and "Fix: ...", with exit code 2.
/// </summary>
public sealed class ParseRefusalTests
{
    [Theory]
    [InlineData("--idle 1s --idle 2s: ", "give --idle once", "show", "--idle", "1s", "--idle", "2s")]
    [InlineData("--pid 1 --pid 2: ", "give --pid once", "doctor", "--pid", "1", "--pid", "2")]
    [InlineData("--bogus: ", "keepalive show --help", "show", "--bogus")]
    [InlineData("--idel 30s: ", "Did you mean '--idle'?", "show", "--idel", "30s")]
    [InlineData("--idel=30s: --idel is not an option", "Did you mean '--idle'?", "show", "--idel=30s")]
    [InlineData("--hlod:1m: --hlod is not an option", "Did you mean '--hold'?", "check", "127.0.0.1:1", "--hlod:1m")]
    // An unknown option where the command's argument goes was taken for it: "'x.pcap': one value too many", or the file
    // "--bogus" looked for in the current folder.
    [InlineData("--bogus: ", "keepalive analyze --help", "analyze", "--bogus", "x.pcap")]
    [InlineData("--bogus: ", "keepalive analyze --help", "analyze", "--bogus")]
    [InlineData("--jsn: ", "Did you mean '--json'?", "analyze", "--jsn", "x.pcap")]
    [InlineData("--bogus: ", "keepalive check --help", "check", "--bogus", "127.0.0.1:1")]
    [InlineData("--pid: ", "--pid <pid>", "doctor")]
    [InlineData("--pid: ", "--pid <pid>", "doctor", "--pid")]
    [InlineData("--idle: ", "--idle <duration>", "show", "--idle")]
    [InlineData("<file>: ", "keepalive analyze <file>", "analyze")]
    [InlineData("<endpoint>: ", "keepalive check <endpoint>", "check")]
    [InlineData("'b.pcap': ", "keepalive analyze <file>", "analyze", "a.pcap", "b.pcap")]
    [InlineData("'shwo': ", "Did you mean 'show'?", "shwo")]
    [InlineData("'nope': ", "show, check, analyze, doctor, probe-idle", "nope")]
    [InlineData("keepalive: ", "show, check, analyze, doctor, probe-idle")]
    // tcpdump -w - | keepalive analyze -: it looked for a file named '-' in the current folder ("/tmp/-: no such file").
    [InlineData("FILE: '-'", "keepalive analyze capture.pcap", "analyze", "-")]
    [InlineData("--settings: '-'", "--settings appsettings.json", "show", "--settings", "-")]
    public async Task ParseError_EachKind_NamesWhatWasWrittenAndAFix(string subject, string fix, params string[] args)
    {
        var (exitCode, output, error) = await ToolRun.InProcessAsync(args);

        exitCode.Should().Be(2, "keepalive {0} is bad input", string.Join(' ', args));
        output.Should().BeEmpty();
        var refusals = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        refusals.Should().ContainSingle("one mistake is one refusal, not System.CommandLine's list: {0}", error)
            .Which.Should().StartWith(subject).And.Contain(" Fix: ").And.Contain(fix);
    }

    [Fact]
    public async Task Capture_ToStandardOutput_IsRefusedAsAFileToWriteNotOneToRead()
    {
        // --capture names the file check writes, yet '-' was refused with the advice for a file to read: "Fix: save it to
        // a file first and give its path", as if the capture came from somewhere.
        var (exitCode, output, error) = await ToolRun.InProcessAsync("check", "127.0.0.1:1", "--capture", "-");

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.TrimEnd().Should().Be(
            "--capture: '-' (standard output) is not supported: the tool writes files by name, and standard output carries the command's report. "
            + "Fix: give the path of the file to write, for example --capture /tmp/check.pcap.");
    }

    [Theory]
    [InlineData("--json --json: ", "analyze", "/nonexistent/keepalive-none.pcap", "--json", "--json")]
    [InlineData("--json --json: ", "doctor", "--pid", "2147483647", "--json", "--json")]
    [InlineData("--json --json --json: ", "probe-idle", "127.0.0.1:1", "--json", "--json", "--json")]
    public async Task Flag_GivenTwice_IsRefusedAsAValueOptionGivenTwiceIs(string subject, params string[] args)
    {
        // "--idle 1s --idle 2s" was refused, "--json --json" accepted silently: a repeated option is a mistake either way.
        var (exitCode, output, error) = await ToolRun.InProcessAsync(args);

        exitCode.Should().Be(2, "keepalive {0} repeats a flag", string.Join(' ', args));
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Should().ContainSingle(error)
            .Which.Should().StartWith(subject).And.Contain(" Fix: give --json once");
        using var json = JsonDocument.Parse(output);
        json.RootElement.GetProperty("errors")[0].GetProperty("subject").GetString().Should().Be(subject.TrimEnd(' ', ':'));
    }
}

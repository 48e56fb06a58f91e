using FluentAssertions.Execution;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>
/// The tool's own refusals (exit code 2) name what was given, what is wrong, and "Fix: ...", as every other refusal does
/// (check --capture to a folder that does not exist: CheckLoopbackTests).
/// </summary>
public sealed class ToolRefusalTests
{
    [Fact]
    public async Task Refusal_OfEachInputTheToolTurnsAway_NamesTheValueAndAFix()
    {
        var folder = Directory.CreateTempSubdirectory("keepalive-refusal-");
        try
        {
            var none = Path.Combine(folder.FullName, "none.json");
            await File.WriteAllTextAsync(none, """{ "KeepAlive": { "Profiles": { } } }""", TestContext.Current.CancellationToken);
            var two = Path.Combine(folder.FullName, "two.json");
            await File.WriteAllTextAsync(two, """{ "KeepAlive": { "Profiles": { "a": { "Tcp": { "IdleTime": "30s" } }, "b": { "Tcp": { "IdleTime": "40s" } } } } }""", TestContext.Current.CancellationToken);
            string[][] runs =
            [
                ["doctor", "--pid", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                ["show", "--profile", "payments"],
                ["show", "--settings", none],
                ["show", "--settings", two],
            ];

            using var scope = new AssertionScope();
            foreach (var args in runs)
            {
                var (exitCode, _, error) = await ToolRun.InProcessAsync(args);

                exitCode.Should().Be(2, "keepalive {0}: {1}", string.Join(' ', args), error);
                error.Should().Contain(" Fix: ", "keepalive {0} is refused with the fix", string.Join(' ', args));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("/nonexistent/keepalive-none.pcap: no such file", "analyze", "/nonexistent/keepalive-none.pcap")]
    [InlineData("--profile payments: ", "show", "--profile", "payments")]
    [InlineData("--idle (Tcp:IdleTime): '3h'", "show", "--idle", "3h")]
    [InlineData("--heartbeat: ", "check", "127.0.0.1:1", "--heartbeat", "")]
    [InlineData("--every: ", "check", "127.0.0.1:1", "--every", "1s")]
    [InlineData("--profile: the profile name is empty. Fix: ", "show", "--settings", "/nonexistent/appsettings.json", "--profile", "")]
    [InlineData("--profile: the profile name is empty. Fix: ", "doctor", "--pid", "1", "--settings", "/nonexistent/appsettings.json", "--profile", " ")]
    public async Task Refusal_WhetherTheParserOrTheCommandRefuses_HasOneShape(string start, params string[] args)
    {
        // A command's refusals started with "error: ", the parser's did not; check's --heartbeat and --every refusals had no
        // "Fix: " and were read as the parser's own errors, "keepalive check <endpoint>: --every: ...".
        var (exitCode, _, error) = await ToolRun.InProcessAsync(args);

        exitCode.Should().Be(2, "keepalive {0}: {1}", string.Join(' ', args), error);
        var refusal = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Should().ContainSingle().Subject;
        refusal.Should().StartWith(start, "every refusal starts with what was written, as docs/TOOL.md shows")
            .And.Contain(" Fix: ").And.NotContain("--help");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Refusal_FileThisUserMayNotRead_SaysSoWithAFixRatherThanCrashing()
    {
        // A capture tcpdump wrote as root with mode 0600, read as another user: an unhandled UnauthorizedAccessException,
        // exit 134 and a stack trace.
        TestEnvironment.RequireLinux();
        TestEnvironment.Require(TestEnvironment.IsRoot, "the test switches to the user nobody, which needs root");
        TestEnvironment.Require(NetworkNamespace.Run("setpriv", "--version").ExitCode == 0, "setpriv (util-linux) is missing");
        var folder = Directory.CreateTempSubdirectory("keepalive-unreadable-");
        try
        {
            var tool = ToolRun.CopyWhereNobodyCanRunIt(folder.FullName);
            var secret = Path.Combine(folder.FullName, "root-only");
            await File.WriteAllTextAsync(secret, "{}", TestContext.Current.CancellationToken);
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var scope = new AssertionScope();
            foreach (var args in new[] { new[] { "analyze", secret }, ["show", "--settings", secret] })
            {
                var run = await ToolRun.RunCommandAsync(
                    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=" + folder.FullName, "DOTNET_CLI_HOME=" + folder.FullName, .. ToolRun.Dotnet(tool), .. args],
                    TimeSpan.FromMinutes(1), null);

                run.ExitCode.Should().Be(2, run.Interleaved);
                run.Error.Should().Contain($"{secret}: not readable").And.Contain(" Fix: ").And.NotContain("Unhandled exception");
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

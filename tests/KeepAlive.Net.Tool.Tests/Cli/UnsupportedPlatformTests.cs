using System.Globalization;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Tests.Cli;

/// <summary>Commands that read Linux-only kernel interfaces say so elsewhere and exit 2, before touching anything.</summary>
public sealed class UnsupportedPlatformTests
{
    private static readonly ToolPlatform Windows = new("Microsoft Windows 10.0.26100", IsLinux: false);

    public static TheoryData<string[], string> LinuxOnly() => new()
    {
        { ["doctor", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)], "doctor reads another process's sockets through /proc and pidfd_getfd, which only Linux has" },
        { ["probe-idle", "127.0.0.1:9", "--max", "10s"], "probe-idle sees a segment acknowledged through TCP_INFO, which only Linux has" },
    };

    [Theory]
    [MemberData(nameof(LinuxOnly))]
    public async Task Command_NotLinux_NotSupportedOnThisPlatformExit2(string[] args, string reason)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await ToolApp.RunAsync(args, ToolConsole.Plain(output, error, Windows), TestContext.Current.CancellationToken);

        exitCode.Should().Be(ExitCodes.BadInput);
        error.ToString().Should().Contain(reason).And.Contain("not supported on this platform (Microsoft Windows 10.0.26100). Fix: ");
        output.ToString().Should().BeEmpty("nothing is probed or read before the refusal");
    }

    [Fact]
    public async Task Doctor_OnLinux_NotRefused()
    {
        TestEnvironment.RequireLinux();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await ToolApp.RunAsync(["doctor", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--json"], ToolConsole.Plain(output, error), TestContext.Current.CancellationToken);

        error.ToString().Should().NotContain("not supported on this platform");
        // 3 when the test process holds no connection at that moment (other tests' sockets come and go).
        exitCode.Should().BeOneOf(ExitCodes.Fine, ExitCodes.Finding, ExitCodes.NothingToJudge);
    }
}

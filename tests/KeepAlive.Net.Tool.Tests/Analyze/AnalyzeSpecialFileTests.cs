using System.Diagnostics;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Analyze;

/// <summary>A named pipe or a device given to analyze is refused for what it is, without opening it; never "an empty file ... nothing was ever written to it".</summary>
public sealed class AnalyzeSpecialFileTests
{
    [Fact]
    public async Task Analyze_NamedPipe_RefusedAsPipeWithoutOpeningIt()
    {
        TestEnvironment.RequireLinux();
        var folder = Directory.CreateTempSubdirectory("keepalive-fifo-");
        try
        {
            var pipe = Path.Combine(folder.FullName, "capture.pipe");
            using (var mkfifo = Process.Start("mkfifo", [pipe]))
            {
                await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
                mkfifo.ExitCode.Should().Be(0, "mkfifo made the pipe");
            }

            // No writer: opening the pipe to read would block for ever, so an answer at all shows it was not opened.
            var (exitCode, output, error) = await ToolRun.InProcessAsync("analyze", pipe).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            exitCode.Should().Be(ExitCodes.BadInput, $"it printed: {output}{error}");
            error.Should().StartWith($"{pipe}: a named pipe (FIFO), not a regular file").And.Contain("Fix: ").And.NotContain("empty file");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Analyze_CharacterDevice_RefusedAsDeviceNotEmptyFile()
    {
        TestEnvironment.RequireLinux();

        var (exitCode, output, error) = await ToolRun.InProcessAsync("analyze", "/dev/zero");

        exitCode.Should().Be(ExitCodes.BadInput, $"it printed: {output}{error}");
        error.Should().StartWith("/dev/zero: a character device, not a regular file").And.Contain("Fix: give a .pcap or .pcapng file").And.NotContain("empty file");
    }
}

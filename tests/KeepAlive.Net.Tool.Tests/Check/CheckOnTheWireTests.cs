using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;
using KeepAlive.Net.Tool.Tests.Wire;

namespace KeepAlive.Net.Tool.Tests.Check;

/// <summary>
/// The tool as a real process inside a network namespace: <c>check</c> holds a connection whose peer vanishes,
/// reports the kernel's verdict against the configured bound, and records the packets with <c>--capture</c>.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class CheckOnTheWireTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-check-").FullName;

    [Fact]
    public async Task Check_PeerVanishes_DiesWithinTheConfiguredBoundAndCapturesTheProbes()
    {
        using var lab = RoutedLab.Create();
        TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");
        using var listener = lab.Listen();
        var file = Path.Combine(_folder, "check.pcap");
        var check = ToolRun.ProcessAsync(lab.Client, TimeSpan.FromSeconds(90), "check", RoutedLab.ServerEndPoint.ToString(),
            "--idle", "1s", "--interval", "1s", "--count", "3", "--hold", "60s", "--capture", file);
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(60));
        lab.DropEverything();

        var (exitCode, text) = await check;

        output.WriteLine(text);
        exitCode.Should().Be(1, "a dead peer is a finding");
        text.Should().Contain("DIED: timed out").And.Contain("this matches the configured bound of 4 s");
        text.Should().Contain("probes=").And.Contain("Recorded");
        using var result = await AnalyzeResult.RunAsync(file);
        var flow = result.SingleFlow;
        output.WriteLine(flow.ToString());
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.HaveCount(3);
        flow.GetProperty("verdict").GetString().Should().Contain("dead peer");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

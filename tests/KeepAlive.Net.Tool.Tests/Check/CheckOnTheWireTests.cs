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
        text.Should().Contain("DIED: timed out").And.Contain("this matches the configured bound of 4s");
        text.Should().Contain("probes=").And.Contain("Recorded");
        using var result = await AnalyzeResult.RunAsync(file);
        var flow = result.SingleFlow;
        output.WriteLine(flow.ToString());
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.HaveCount(3);
        flow.GetProperty("verdict").GetString().Should().Contain("dead peer");
    }

    [Fact]
    public async Task Check_PeerVanishesWhileHeartbeatsAreInFlight_JudgedAgainstTheUserTimeoutNotTheIdleBound()
    {
        using var lab = RoutedLab.Create();
        using var listener = lab.Listen();
        // Heartbeats keep data in flight once the peer vanishes, so the kernel gives up at the 3 s user timeout (no
        // keep-alive probe runs with data unacknowledged); the idle bound (30 s + 3 x 10 s, cut at 3 s: 30 s) is not it.
        var check = ToolRun.ProcessAsync(lab.Client, TimeSpan.FromSeconds(90), "check", RoutedLab.ServerEndPoint.ToString(),
            "--user-timeout", "3s", "--heartbeat", "ping", "--every", "250ms", "--hold", "60s");
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        lab.DropEverything();

        var (exitCode, text) = await check;

        output.WriteLine(text);
        exitCode.Should().Be(1, "a dead peer is a finding");
        text.Should().Contain("DIED: timed out").And.Contain("this matches the configured bound of 3s (TCP_USER_TIMEOUT, data was in flight)");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

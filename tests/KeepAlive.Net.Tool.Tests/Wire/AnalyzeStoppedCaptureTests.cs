using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Wire;

/// <summary>
/// <c>analyze</c> on real captures that tcpdump ended by itself (<c>-c COUNT</c>, as a count or a file rotation ends
/// one) on loopback, at a frame chosen by the test: where the capture stops is no event of the connection.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class AnalyzeStoppedCaptureTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-stopped-").FullName;

    [Theory]
    // The handshake and the first probe: its answer, the next frame on loopback, was never recorded.
    [InlineData(4, new long[] { 4 }, 0)]
    // The handshake, a probe and its answer, and the next probe, whose answer was never recorded.
    [InlineData(6, new long[] { 4, 6 }, 1)]
    public async Task Analyze_CaptureStoppedRightAfterAProbe_IsNoDeadPeer(int frames, long[] probes, int answered)
    {
        // It read 'FINDING: dead peer: 1 keep-alive probe from the client went unanswered and the capture ended 0 s
        // after the last probe, before the next was due', exit 1, for a live peer whose answer came microseconds later.
        TestEnvironment.Require(TestEnvironment.IsRoot, "tcpdump needs root or CAP_NET_RAW");
        TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var file = Path.Combine(_folder, "stopped.pcap");
        using var tcpdump = StartTcpdump(file, port, frames);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 3 });
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await tcpdump.WaitForExitAsync(stopped.Token);
        }

        using var result = await AnalyzeResult.RunAsync(file);
        output.WriteLine(NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(result.Root.ToString());

        var flow = result.SingleFlow;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.Equal(probes);
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(answered);
        flow.GetProperty("end").GetString().Should().Be("open");
        var verdict = flow.GetProperty("verdict").GetString();
        verdict.Should().NotContain("dead peer").And.Contain("the capture ended").And.Contain("after the last probe, before its answer or the next probe");
        result.ExitCode.Should().Be(0, verdict);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>tcpdump on loopback for one port, stopping by itself after <paramref name="count"/> frames; returns once it listens.</summary>
    private static Process StartTcpdump(string file, int port, int count)
    {
        var start = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-i", "lo", "-U", "--immediate-mode", "-s", "0", "-c", count.ToString(CultureInfo.InvariantCulture), "-w", file, "tcp port " + port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        while (process.StandardError.ReadLine() is { } line && !line.Contains("listening on", StringComparison.Ordinal))
        {
        }

        return process;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Wire;

/// <summary>
/// <c>analyze</c> on real loopback captures that hold part of a connection: ended by tcpdump itself (<c>-c COUNT</c>, as a
/// count or a file rotation ends one) at a frame chosen by the test, or started after the connection was: where the
/// capture starts or stops is no event of the connection.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class AnalyzePartialCaptureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TcpKeepAliveOptions FastProbes = new() { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 3 };
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-partial-").FullName;

    [Theory]
    // The handshake and the first probe: its answer, the next frame on loopback, was never recorded.
    [InlineData(4, new long[] { 4 }, 0)]
    // The handshake, a probe and its answer, and the next probe, whose answer was never recorded.
    [InlineData(6, new long[] { 4, 6 }, 1)]
    public async Task Analyze_CaptureStoppedRightAfterAProbe_IsNoDeadPeer(int frames, long[] probes, int answered)
    {
        // It read 'FINDING: dead peer: 1 keep-alive probe from the client went unanswered and the capture ended 0 s
        // after the last probe, before the next was due', exit 1, for a live peer whose answer came microseconds later.
        using var listener = Listen(out var port);
        var file = Path.Combine(_folder, "stopped.pcap");
        using var tcpdump = StartTcpdump(file, port, frames);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ConfigureKeepAlive(FastProbes);
        await client.ConnectAsync(listener.LocalEndpoint);
        using var server = await listener.AcceptSocketAsync();
        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await tcpdump.WaitForExitAsync(stopped.Token);
        }

        using var result = await AnalyzeAsync(file);

        var flow = result.SingleFlow;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.Equal(probes);
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(answered);
        flow.GetProperty("end").GetString().Should().Be("open");
        var verdict = flow.GetProperty("verdict").GetString();
        verdict.Should().NotContain("dead peer").And.Contain("the capture ended").And.Contain("after the last probe, before its answer or the next probe");
        result.ExitCode.Should().Be(0, verdict);
    }

    [Fact]
    public async Task Analyze_CaptureStartedAfterTheConnection_FindsTheProbesItOpensOn()
    {
        // tcpdump started on an idle connection: each direction's first segment is a probe or its answer, so the
        // client's next sequence number was never learnt, and the run read 'ok: still open at the end of the capture'
        // with 0 keep-alive probes (tshark, without the earlier segments, calls them Dup ACKs). The judge is a second
        // capture of the whole connection, where tshark knows the probes' sequence number.
        using var listener = Listen(out var port);
        var (whole, late) = (Path.Combine(_folder, "whole.pcap"), Path.Combine(_folder, "late.pcap"));
        using var wholeCapture = StartTcpdump(whole, port, null);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ConfigureKeepAlive(FastProbes);
        await client.ConnectAsync(listener.LocalEndpoint);
        using var server = await listener.AcceptSocketAsync();
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        (await server.ReceiveAsync(new byte[16], SocketFlags.None)).Should().Be(5);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        using (var lateCapture = StartTcpdump(late, port, null))
        {
            await Task.Delay(TimeSpan.FromSeconds(3.5));
            Stop(lateCapture);
        }

        Stop(wholeCapture);
        using var result = await AnalyzeAsync(late);

        var sequence = Tshark.Fields(whole, "tcp.analysis.keep_alive", null, "frame.number", "tcp.seq_raw").Select(static row => row[1]).Distinct().Should().ContainSingle().Subject;
        var clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
        var judged = Tshark.Frames(late, $"tcp.srcport == {clientPort} && tcp.len == 0 && tcp.seq_raw == {sequence}");
        judged.Count.Should().BeGreaterThanOrEqualTo(2, "3.5 s of a connection idle since 0.5 s with 1 s keep-alive holds several probes");
        var flow = result.SingleFlow;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(judged);
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(judged.Count, "the server answered every probe");
        var verdict = flow.GetProperty("verdict").GetString();
        verdict.Should().Contain($"{judged.Count} keep-alive probes, {judged.Count} answered, 0 unanswered");
        result.ExitCode.Should().Be(0, verdict);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A listener on loopback, once tcpdump and tshark can run here.</summary>
    private static TcpListener Listen(out int port)
    {
        TestEnvironment.Require(TestEnvironment.IsRoot, "tcpdump needs root or CAP_NET_RAW");
        TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1);
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private static void Stop(Process tcpdump)
    {
        if (!tcpdump.HasExited)
        {
            NetworkNamespace.Run("kill", "-INT", tcpdump.Id.ToString(CultureInfo.InvariantCulture));
            tcpdump.WaitForExit(TimeSpan.FromSeconds(10)).Should().BeTrue("tcpdump ends on SIGINT");
        }
    }

    private async Task<AnalyzeResult> AnalyzeAsync(string file)
    {
        var result = await AnalyzeResult.RunAsync(file);
        output.WriteLine(NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(result.Root.ToString());
        return result;
    }

    /// <summary>tcpdump on loopback for one port, stopping by itself after <paramref name="count"/> frames when given; returns once it listens.</summary>
    private static Process StartTcpdump(string file, int port, int? count)
    {
        var start = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        string[] stop = count is { } frames ? ["-c", frames.ToString(CultureInfo.InvariantCulture)] : [];
        string[] arguments = ["-i", "lo", "-U", "--immediate-mode", "-s", "0", .. stop, "-w", file, "tcp port " + port.ToString(CultureInfo.InvariantCulture)];
        foreach (var argument in arguments)
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

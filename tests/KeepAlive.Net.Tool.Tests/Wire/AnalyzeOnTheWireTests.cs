using System.Diagnostics;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Wire;

/// <summary>
/// <c>analyze</c> against real captures: tcpdump records real kernels talking through network namespaces, and
/// tshark's <c>tcp.analysis.keep_alive</c> is the independent judge of which frames are probes.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class AnalyzeOnTheWireTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TcpKeepAliveOptions FastProbes = new() { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 3 };
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-wire-").FullName;

    [Fact]
    public async Task Analyze_LivePeerAnswersProbes_FindsExactlyTsharksProbesAndAnswers()
    {
        using var wire = await WireConnection.OpenAsync(Path.Combine(_folder, "alive.pcap"), FastProbes);
        await wire.Client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        wire.Client.Shutdown(SocketShutdown.Both);
        wire.Server.Shutdown(SocketShutdown.Both);
        await Task.Delay(200);

        using var result = await wire.AnalyzeAsync(output);

        var flow = result.SingleFlow;
        var file = wire.CapturePath;
        var judged = Tshark.Frames(file, "tcp.analysis.keep_alive");
        judged.Count.Should().BeGreaterThanOrEqualTo(3, "4.5 s idle with 1 s keep-alive gives several probes");
        AnalyzeResult.ProbeFrames(flow).Should().Equal(judged);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(Tshark.Frames(file, "tcp.analysis.keep_alive_ack").Count).And.Be(judged.Count);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeInRange(0.9, 1.6);
        flow.GetProperty("client").GetString().Should().StartWith(RoutedLab.ClientAddress + ":");
        flow.GetProperty("server").GetString().Should().Be(RoutedLab.ServerEndPoint.ToString());
        flow.GetProperty("end").GetString().Should().Be("fin");
        result.ExitCode.Should().Be(0, flow.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Analyze_PeerVanishesWithUserTimeout_KernelResetsWhenKeepAliveGivesUp()
    {
        // What net/ipv4/tcp_timer.c does: tcp_keepalive_timer sends a RST (tcp_send_active_reset) before reporting the
        // error, with or without TCP_USER_TIMEOUT; here the user timeout (3.5 s) decides when.
        using var wire = await WireConnection.OpenAsync(Path.Combine(_folder, "vanished.pcap"),
            new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(1), ProbeCount = 3, UserTimeout = TimeSpan.FromSeconds(3.5) });
        wire.Client.GetKeepAlive().UserTimeout.Should().Be(TimeSpan.FromSeconds(3.5));
        await wire.Client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await Task.Delay(200);
        wire.Lab.DropEverything();
        var failure = await ReceiveFailureAsync(wire.Client, TimeSpan.FromSeconds(30));
        failure.Should().Be(SocketError.TimedOut, "the kernel gives up after its probes");

        using var result = await wire.AnalyzeAsync(output);

        var flow = result.SingleFlow;
        var file = wire.CapturePath;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.HaveCount(3);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(0);
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(0);
        flow.GetProperty("unansweredProbes").GetInt32().Should().Be(3);
        flow.GetProperty("probeInterval").GetDouble().Should().BeApproximately(1.0, 0.3);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeInRange(0.9, 1.6);
        flow.GetProperty("end").GetString().Should().Be("rst", "Linux resets the connection when keep-alive gives up, user timeout or not");
        flow.GetProperty("endedBy").GetString().Should().Be("client");
        Tshark.Frames(file, "tcp.flags.reset == 1 && ip.src == " + RoutedLab.ClientAddress).Should().ContainSingle();
        flow.GetProperty("endAfterIdle").GetDouble().Should().BeInRange(3.5, 5.0, "the first keep-alive timer run at least 3.5 s after the peer was last heard, with a probe out");
        flow.GetProperty("verdict").GetString().Should().Contain("dead peer: 3 keep-alive probes from the client went unanswered").And.Contain("its kernel reset the connection");
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_PeerVanishesWithDataInFlight_KernelGivesUpSilentlyAtTheUserTimeout()
    {
        // The other way the kernel gives up: unacknowledged data is retransmitted until the user timeout, then
        // tcp_write_timeout reports the error with no RST at all.
        using var wire = await WireConnection.OpenAsync(Path.Combine(_folder, "inflight.pcap"),
            new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(5), ProbeCount = 3, UserTimeout = TimeSpan.FromSeconds(3.5) });
        await wire.Client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await Task.Delay(200);
        wire.Lab.DropEverything();
        var sent = Stopwatch.StartNew();
        await wire.Client.SendAsync("never acknowledged"u8.ToArray(), SocketFlags.None);
        var failure = await ReceiveFailureAsync(wire.Client, TimeSpan.FromSeconds(30));
        var after = sent.Elapsed;
        failure.Should().Be(SocketError.TimedOut);

        using var result = await wire.AnalyzeAsync(output);

        var flow = result.SingleFlow;
        var file = wire.CapturePath;
        after.Should().BeGreaterThan(TimeSpan.FromSeconds(3.4)).And.BeLessThan(TimeSpan.FromSeconds(8), "the user timeout bounds the retransmissions");
        Tshark.Frames(file, "tcp.flags.reset == 1").Should().BeEmpty("a retransmission timeout ends the connection without a RST");
        flow.GetProperty("end").GetString().Should().Be("open");
        flow.GetProperty("retransmissions").GetInt32().Should().BeGreaterThanOrEqualTo(3);
        flow.GetProperty("verdict").GetString().Should().Contain("went silent");
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_NatForgetsFlowWhileStarvedThreadPoolDelaysHeartbeat_FindsLateHeartbeatWithItsGapAndTheSilence()
    {
        using var wire = await WireConnection.OpenAsync(Path.Combine(_folder, "nat.pcap"),
            new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(60), Interval = TimeSpan.FromSeconds(5), ProbeCount = 3, UserTimeout = TimeSpan.FromSeconds(3) }, natIdleTimeoutSeconds: 2);
        var client = wire.Client;

        // The classic heartbeat: a PeriodicTimer whose send path hops through the thread pool's global queue, as
        // socket completions and most async code do (here explicitly, with Task.Yield).
        var sendTimes = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await Task.Yield();
                lock (sendTimes)
                {
                    sendTimes.Add(clock.Elapsed);
                }

                await client.SendAsync("hb\n"u8.ToArray(), SocketFlags.None, stop.Token);
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(2));
        StarveThreadPool(TimeSpan.FromSeconds(3.5));
        await Task.Delay(TimeSpan.FromSeconds(6));
        await stop.CancelAsync();
        await CatchAsync(heartbeats);

        using var result = await wire.AnalyzeAsync(output, "--heartbeat-interval", "500ms", "--idle-timeout", "2s");

        var flow = result.SingleFlow;
        var file = wire.CapturePath;
        var measured = MaxGap(sendTimes);
        output.WriteLine($"largest gap between heartbeat sends measured in the process: {measured.TotalSeconds:F3} s");
        measured.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5), "the starved pool must have delayed the heartbeat");
        var late = flow.GetProperty("lateHeartbeats").EnumerateArray().Should().ContainSingle().Subject;
        late.GetProperty("gap").GetDouble().Should().BeApproximately(measured.TotalSeconds, 0.4, "the capture shows the gap the process had");
        flow.GetProperty("maxDataGap").GetDouble().Should().BeApproximately(late.GetProperty("gap").GetDouble(), 0.001);
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.BeEmpty();
        flow.GetProperty("end").GetString().Should().Be("open", "the NAT dropped the late segment silently; the client gave up without a RST");
        flow.GetProperty("silenceAfterIdle").GetDouble().Should().BeGreaterThan(2, "the NAT forgot the flow after 2 s idle");
        flow.GetProperty("verdict").GetString().Should().Contain("went silent").And.Contain("late heartbeat").And.Contain("longer than the idle timeout of 2s");
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_ConnectWhoseSynsGoUnanswered_IsAConnectionNeverEstablishedNotAFlowForgotten()
    {
        // A firewall dropping the SYN (or a host down, or a full accept queue): the client's SYN and its retransmissions,
        // never answered. It read 'went silent: 3 segments from the client sent after 0 s idle were never answered: the
        // peer, or a middlebox such as a NAT or load balancer, forgot the connection', though no connection ever existed.
        using var capture = await LabCapture.StartAsync(Path.Combine(_folder, "syn-dropped.pcap"));
        capture.Lab.DropEverything();
        using (var client = capture.Lab.CreateClientSocket())
        {
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(4)); // SYNs at 0, 1 and 3 s
            var connect = async () => await client.ConnectAsync(RoutedLab.ServerEndPoint, giveUp.Token);
            await connect.Should().ThrowAsync<OperationCanceledException>("the middle drops every SYN");
        }

        using var result = await capture.AnalyzeAsync(output);

        var flow = result.SingleFlow;
        var syns = Tshark.Frames(capture.Path, "tcp.flags.syn == 1 && tcp.flags.ack == 0");
        syns.Count.Should().BeGreaterThanOrEqualTo(2, "the kernel retransmits an unanswered SYN after 1 s");
        flow.GetProperty("verdict").GetString().Should()
            .Contain($"connection never established: the client's SYN (frame {syns[0]}) went unanswered, {syns.Count} times")
            .And.NotContain("forgot the connection").And.NotContain("went silent");
        flow.GetProperty("silenceAfterIdle").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "no connection was ever idle");
        result.ExitCode.Should().Be(1, "a connection that cannot be made is a finding");
    }

    [Fact]
    public async Task Analyze_CaptureOfOneFrame_CountsItInTheSingular()
    {
        // The summary line counted flows with Units.Count ('1 TCP flow') but not frames: 'one-syn.pcap: 1 frames'.
        using var capture = await LabCapture.StartAsync(Path.Combine(_folder, "one-syn.pcap"));
        capture.Lab.DropEverything();
        using (var client = capture.Lab.CreateClientSocket())
        {
            using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)); // before the SYN's first retransmission at 1 s
            var connect = async () => await client.ConnectAsync(RoutedLab.ServerEndPoint, giveUp.Token);
            await connect.Should().ThrowAsync<OperationCanceledException>("the middle drops the SYN");
        }

        using var result = await capture.AnalyzeAsync(output);
        var text = await ToolRun.InProcessAsync("analyze", capture.Path);

        result.Root.GetProperty("frames").GetInt32().Should().Be(1, "one SYN, never retransmitted within 500 ms");
        text.Output.Should().Contain("one-syn.pcap: 1 frame, 1 TCP flow");
    }

    [Fact]
    public async Task Analyze_CaptureThatHoldsNoTcpFlow_SaysThereIsNothingToJudgeAndExitsThreeNotZero()
    {
        // tcpdump recording while the traffic went another way (here UDP past its 'tcp' filter; or the wrong interface,
        // port or host): 'x.pcap: 0 frames, 0 TCP flows', exit 0, so a script read "no finding" from a capture that
        // held nothing to judge.
        using var capture = await LabCapture.StartAsync(Path.Combine(_folder, "no-tcp.pcap"));
        using (var udp = NetworkNamespace.RunInside(capture.Lab.Client, static () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)))
        {
            for (var i = 0; i < 3; i++)
            {
                await udp.SendToAsync("ping"u8.ToArray(), SocketFlags.None, RoutedLab.ServerEndPoint);
            }
        }

        using var result = await capture.AnalyzeAsync(output);
        var text = await ToolRun.InProcessAsync("analyze", capture.Path);

        output.WriteLine(text.Output + text.Error);
        result.ExitCode.Should().Be(3, "nothing was judged, which is neither 'no finding' (0) nor a finding (1)");
        result.Flows.Should().BeEmpty();
        result.Error.Should().Contain("Nothing to judge: no-tcp.pcap holds no TCP segment");
        text.ExitCode.Should().Be(3);
        text.Output.Should().Contain("no-tcp.pcap: 0 frames, 0 TCP flows").And.Contain("Nothing to judge: no-tcp.pcap holds no TCP segment")
            .And.Contain("Fix: ").And.Contain("Exit code 3.");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    internal static void StarveThreadPool(TimeSpan duration)
    {
        // Blocking work the pool cannot see as blocking (Thread.Sleep, not a wait it compensates for), queued
        // ahead of everything else; the pool injects threads only slowly, and each new one takes another blocker.
        var released = 0;
        ThreadPool.GetMinThreads(out var minimum, out _);
        var blockers = Math.Max(minimum, ThreadPool.ThreadCount) + 128;
        for (var i = 0; i < blockers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                while (Volatile.Read(ref released) == 0)
                {
                    Thread.Sleep(10);
                }
            }, null);
        }

        // The release comes from a thread of our own: the pool cannot run anything until then.
        var releaser = new Thread(() =>
        {
            Thread.Sleep(duration);
            Volatile.Write(ref released, 1);
        });
        releaser.Start();
        releaser.Join();
    }

    private static TimeSpan MaxGap(List<TimeSpan> times)
    {
        lock (times)
        {
            return times.Zip(times.Skip(1), static (a, b) => b - a).Max();
        }
    }

    private static async Task<SocketError?> ReceiveFailureAsync(Socket socket, TimeSpan timeout)
    {
        try
        {
            await socket.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(timeout);
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private static async Task CatchAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }
}

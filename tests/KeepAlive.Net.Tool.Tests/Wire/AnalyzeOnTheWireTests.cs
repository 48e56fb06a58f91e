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
        RequireTshark();
        using var lab = RoutedLab.Create();
        using var capture = lab.StartCapture(Path.Combine(_folder, "alive.pcap"));
        using var listener = lab.Listen();
        using var client = lab.CreateClientSocket();
        client.ConfigureKeepAlive(FastProbes);
        using var server = await ConnectAsync(client, listener);
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        client.Shutdown(SocketShutdown.Both);
        server.Shutdown(SocketShutdown.Both);
        await Task.Delay(200);
        var file = capture.Stop();

        using var result = await AnalyzeResult.RunAsync(file);

        var flow = result.SingleFlow;
        output.WriteLine(KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(flow.ToString());
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
    public async Task Analyze_PeerVanishes_FindsUnansweredProbesTheKernelsResetAndTheImpliedSettings()
    {
        RequireTshark();
        using var lab = RoutedLab.Create();
        using var capture = lab.StartCapture(Path.Combine(_folder, "vanished.pcap"));
        using var listener = lab.Listen();
        using var client = lab.CreateClientSocket();
        client.ConfigureKeepAlive(FastProbes);
        using var server = await ConnectAsync(client, listener);
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await Task.Delay(200);
        lab.DropEverything();
        var failure = await ReceiveFailureAsync(client, TimeSpan.FromSeconds(30));
        failure.Should().Be(SocketError.TimedOut, "the kernel gives up after its probes");
        var file = capture.Stop();

        using var result = await AnalyzeResult.RunAsync(file);

        var flow = result.SingleFlow;
        output.WriteLine(KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(flow.ToString());
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.HaveCount(3);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(0);
        flow.GetProperty("unansweredProbes").GetInt32().Should().Be(3);
        flow.GetProperty("probeInterval").GetDouble().Should().BeApproximately(1.0, 0.3);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeInRange(0.9, 1.6);
        flow.GetProperty("end").GetString().Should().Be("open", "Linux gives up silently when TCP_USER_TIMEOUT is set: no RST leaves");
        flow.GetProperty("unansweredAtEnd").GetInt32().Should().Be(3);
        flow.GetProperty("verdict").GetString().Should().Contain("dead peer: 3 keep-alive probes from the client went unanswered");
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_NatForgetsFlowWhileStarvedThreadPoolDelaysHeartbeat_FindsLateHeartbeatWithItsGapAndTheSilence()
    {
        RequireTshark();
        using var lab = RoutedLab.Create(natIdleTimeoutSeconds: 2);
        using var capture = lab.StartCapture(Path.Combine(_folder, "nat.pcap"));
        using var listener = lab.Listen();
        using var client = lab.CreateClientSocket();
        client.ConfigureKeepAlive(new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(60), Interval = TimeSpan.FromSeconds(5), ProbeCount = 3, UserTimeout = TimeSpan.FromSeconds(3) });
        using var server = await ConnectAsync(client, listener);

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
        var file = capture.Stop();

        using var result = await AnalyzeResult.RunAsync(file, "--heartbeat-interval", "500ms", "--idle-timeout", "2s");

        var flow = result.SingleFlow;
        output.WriteLine(KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(flow.ToString());
        var measured = MaxGap(sendTimes);
        output.WriteLine($"largest gap between heartbeat sends measured in the process: {measured.TotalSeconds:F3} s");
        measured.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5), "the starved pool must have delayed the heartbeat");
        var late = flow.GetProperty("lateHeartbeats").EnumerateArray().Should().ContainSingle().Subject;
        late.GetProperty("gap").GetDouble().Should().BeApproximately(measured.TotalSeconds, 0.4, "the capture shows the gap the process had");
        flow.GetProperty("maxDataGap").GetDouble().Should().BeApproximately(late.GetProperty("gap").GetDouble(), 0.001);
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive")).And.BeEmpty();
        flow.GetProperty("end").GetString().Should().Be("open", "the NAT dropped the late segment silently; the client gave up without a RST");
        flow.GetProperty("silenceAfterIdle").GetDouble().Should().BeGreaterThan(2, "the NAT forgot the flow after 2 s idle");
        flow.GetProperty("verdict").GetString().Should().Contain("went silent").And.Contain("late heartbeat").And.Contain("longer than the idle timeout of 2 s");
        result.ExitCode.Should().Be(1);
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

    private static void RequireTshark() => TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");

    private static async Task<Socket> ConnectAsync(Socket client, Socket listener)
    {
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(RoutedLab.ServerEndPoint);
        return await accept.WaitAsync(TimeSpan.FromSeconds(10));
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

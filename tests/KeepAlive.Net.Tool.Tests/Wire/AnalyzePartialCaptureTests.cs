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
        var (whole, late) = (Path.Combine(_folder, "whole.pcap"), Path.Combine(_folder, "late.pcap"));
        using var recorded = await RecordedConnection.OpenAsync(whole, static (client, _) => client.ConfigureKeepAlive(FastProbes));
        var (client, server, port, wholeCapture) = (recorded.Client, recorded.Server, recorded.Port, recorded.Capture);
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

    [Fact]
    public async Task Analyze_CaptureStartedAfterTheConnection_SaysClientAndServerAreGuessedAndOnWhatBasis()
    {
        // Without the handshake the roles come from a heuristic (here: the higher port is the client's), which a client
        // bound to a low port defeats: the report named the listener "client" as a fact. The whole capture, with the
        // SYN, knows them.
        var (whole, late) = (Path.Combine(_folder, "whole.pcap"), Path.Combine(_folder, "late.pcap"));
        using var recorded = await RecordedConnection.OpenAsync(whole, static (client, port) => client.Bind(new IPEndPoint(IPAddress.Loopback, LowFreePort(below: port))));
        var (client, server, port, wholeCapture) = (recorded.Client, recorded.Server, recorded.Port, recorded.Capture);
        using (var lateCapture = StartTcpdump(late, port, 2))
        {
            await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
            (await server.ReceiveAsync(new byte[16], SocketFlags.None)).Should().Be(5);
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await lateCapture.WaitForExitAsync(stopped.Token);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(200));
        Stop(wholeCapture);
        using var fromWhole = await AnalyzeAsync(whole);
        using var fromLate = await AnalyzeAsync(late);
        var text = await ToolRun.InProcessAsync("analyze", late);

        fromWhole.SingleFlow.GetProperty("client").GetString().Should().Be(client.LocalEndPoint!.ToString());
        fromWhole.SingleFlow.GetProperty("rolesGuessed").GetBoolean().Should().BeFalse("the capture holds the SYN");
        fromWhole.SingleFlow.GetProperty("rolesBasis").GetString().Should().Contain("SYN");
        var flow = fromLate.SingleFlow;
        flow.GetProperty("rolesGuessed").GetBoolean().Should().BeTrue("the capture holds no SYN: {0}", flow);
        flow.GetProperty("rolesBasis").GetString().Should().Contain("no handshake in the capture").And.Contain("higher");
        text.Output.Should().Contain("(guessed)").And.Contain("no handshake in the capture").And.Contain("higher");
    }

    [Fact]
    public async Task Analyze_CaptureOfOneDirection_SaysSoAndCallsNoPeerDead()
    {
        // tcpdump filtered to what the client sends ('dst port', as 'src host X' on one side or a mirror port that sees
        // one way records a flow): the live server's answers to the probes are not in the file. It read 'FINDING: dead
        // peer: 4 keep-alive probes from the client went unanswered and the capture ended 0s after the last probe ...
        // (count at least 4)', exit 1.
        using var listener = Listen(out var port);
        var file = Path.Combine(_folder, "one-way.pcap");
        using var tcpdump = StartTcpdump(file, port, null, "tcp dst port " + port.ToString(CultureInfo.InvariantCulture));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ConfigureKeepAlive(FastProbes);
        await client.ConnectAsync(listener.LocalEndpoint);
        using var server = await listener.AcceptSocketAsync();
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        (await server.ReceiveAsync(new byte[16], SocketFlags.None)).Should().Be(5);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        Stop(tcpdump);
        client.Connected.Should().BeTrue("the server answered every probe, so the client's kernel kept the connection");

        using var result = await AnalyzeAsync(file);
        var (_, text, _) = await ToolRun.InProcessAsync("analyze", file);

        Tshark.Frames(file, "tcp.srcport == " + port.ToString(CultureInfo.InvariantCulture)).Should().BeEmpty("the capture holds the client's segments only");
        var flow = result.SingleFlow;
        var probes = Tshark.Frames(file, "tcp.analysis.keep_alive");
        probes.Count.Should().BeGreaterThanOrEqualTo(2, "4.5 s idle with 1 s keep-alive holds several probes");
        AnalyzeResult.ProbeFrames(flow).Should().Equal(probes);
        var verdict = flow.GetProperty("verdict").GetString();
        verdict.Should().NotContain("dead peer").And.NotContain("went silent")
            .And.Contain("the capture holds one direction of this flow only, the client's").And.Contain("whether the server answered, and so whether it is alive, cannot be judged");
        flow.GetProperty("finding").GetBoolean().Should().BeFalse(verdict);
        result.ExitCode.Should().Be(3, "nothing was judged of the only flow: neither fine nor a finding ({0})", verdict);
        text.Should().Contain("cannot be judged").And.NotContain("dead peer")
            .And.Contain("Nothing to judge: one-way.pcap holds one direction only of its TCP flow").And.EndWith("Exit code 3.\n");
        flow.GetProperty("onlyFrom").GetString().Should().Be("client");
        flow.GetProperty("answeredProbes").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "no answer could be captured");
        flow.GetProperty("unansweredProbes").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
    }

    /// <summary>A loopback connection opened while tcpdump records it whole; the client is prepared (given the listener's port) before it connects.</summary>
    private sealed class RecordedConnection : IDisposable
    {
        private readonly TcpListener _listener;

        private RecordedConnection(TcpListener listener, int port, Process capture, Socket client, Socket server) =>
            (_listener, Port, Capture, Client, Server) = (listener, port, capture, client, server);

        public int Port { get; }

        public Process Capture { get; }

        public Socket Client { get; }

        public Socket Server { get; }

        public static async Task<RecordedConnection> OpenAsync(string file, Action<Socket, int> prepare)
        {
            var listener = Listen(out var port);
            var capture = StartTcpdump(file, port, null);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            prepare(client, port);
            await client.ConnectAsync(listener.LocalEndpoint);
            return new RecordedConnection(listener, port, capture, client, await listener.AcceptSocketAsync());
        }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
            Capture.Dispose();
            _listener.Dispose();
        }
    }

    /// <summary>A free port below <paramref name="below"/> (and the ephemeral range), for a client the port heuristic takes for the server.</summary>
    private static int LowFreePort(int below)
    {
        for (var candidate = 20000; candidate < Math.Min(below, 32000); candidate++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, candidate));
                return candidate;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"no free port between 20000 and {below}");
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

    /// <summary>tcpdump on loopback for one port (or <paramref name="filter"/>), stopping by itself after <paramref name="count"/> frames when given; returns once it listens.</summary>
    private static Process StartTcpdump(string file, int port, int? count, string? filter = null)
    {
        var start = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        string[] stop = count is { } frames ? ["-c", frames.ToString(CultureInfo.InvariantCulture)] : [];
        string[] arguments = ["-i", "lo", "-U", "--immediate-mode", "-s", "0", .. stop, "-w", file, filter ?? "tcp port " + port.ToString(CultureInfo.InvariantCulture)];
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

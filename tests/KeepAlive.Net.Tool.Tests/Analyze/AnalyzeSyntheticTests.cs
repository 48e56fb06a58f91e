using System.Net;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Analyze;

/// <summary>
/// <c>analyze</c> on captures built segment by segment (PacketDotNet, written by libpcap), where the right answer is
/// known exactly; tshark judges the probes too where it is installed.
/// </summary>
public sealed class AnalyzeSyntheticTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-analyze-").FullName;

    [Fact]
    public async Task Analyze_AnsweredProbes_CountsProbesAnswersAndIdle()
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(1.101, true, 1010, 5001, ".").Add(1.102, false, 5001, 1011, ".")
            .Add(2.103, true, 1010, 5001, ".").Add(2.104, false, 5001, 1011, ".")
            .Add(2.5, true, 1011, 5001, "F.").Add(2.501, false, 5001, 1012, "F.").Add(2.502, true, 1012, 5002, ".")
            .Write(Path.Combine(_folder, "answered.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(0);
        var flow = result.SingleFlow;
        flow.GetProperty("client").GetString().Should().Be("10.9.0.2:40000");
        flow.GetProperty("server").GetString().Should().Be("10.9.0.3:5000");
        flow.GetProperty("packets").GetInt32().Should().Be(12);
        flow.GetProperty("keepAliveProbes").GetInt32().Should().Be(2);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(2);
        AnalyzeResult.ProbeFrames(flow).Should().Equal(6, 8);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeApproximately(1.0, 0.001);
        flow.GetProperty("probeInterval").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "every probe was answered, so no retry interval shows");
        flow.GetProperty("end").GetString().Should().Be("fin");
        result.Root.GetProperty("truncated").GetBoolean().Should().BeFalse();
        // A script reads every field of a whole capture too; 'truncationReason' was left out unless the file was cut.
        result.Root.GetProperty("truncationReason").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        result.Root.GetProperty("undecodableLinkType").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        JudgeWithTshark(file, flow);
    }

    [Fact]
    public async Task Analyze_JsonCancelled_WritesJsonSayingSoAndExits130()
    {
        // Ctrl-C or SIGTERM while a large capture was read: the synchronous action died at once (exit 143 on SIGTERM,
        // not the documented 130) with nothing on standard output for a JSON consumer; its token was never looked at, so
        // a run cancelled from the start read the whole file and exited 0.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".").Write(Path.Combine(_folder, "cancelled.pcap"));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await KeepAlive.Net.Tool.Cli.ToolApp.RunAsync(["analyze", file, "--json"], KeepAlive.Net.Tool.Cli.ToolConsole.Plain(output, error), new CancellationToken(canceled: true));

        exitCode.Should().Be(130, "{0}{1}", output, error);
        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        json.RootElement.GetProperty("cancelled").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(130);
        error.ToString().Should().Contain("stopped: interrupted (Ctrl-C or SIGTERM)");
    }

    [Fact]
    public async Task Analyze_UnansweredProbesThenReset_ReportsDeadPeerAndImpliedSettings()
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(3.101, true, 1010, 5001, ".").Add(4.101, true, 1010, 5001, ".")
            .Add(5.101, true, 1011, 5001, "R.")
            .Write(Path.Combine(_folder, "dead.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(1, "a dead peer is a finding");
        var flow = result.SingleFlow;
        flow.GetProperty("keepAliveProbes").GetInt32().Should().Be(3);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(0);
        flow.GetProperty("unansweredProbes").GetInt32().Should().Be(3);
        flow.GetProperty("probeInterval").GetDouble().Should().BeApproximately(1.0, 0.001);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeApproximately(2.0, 0.001);
        flow.GetProperty("end").GetString().Should().Be("rst");
        flow.GetProperty("endAfterIdle").GetDouble().Should().BeApproximately(5.001, 0.001);
        flow.GetProperty("verdict").GetString().Should().Contain("dead peer").And.Contain("3 keep-alive probes from the client went unanswered");
        JudgeWithTshark(file, flow);
    }

    [Fact]
    public async Task Analyze_PeerAnswersAfterTheProberReset_IsStillADeadPeerWithTheLateAnswerNamed()
    {
        // The server's ACK came 500ms after the client's kernel gave up and reset (a peer or path slower than the
        // prober's keep-alive waits), and the client's kernel answered it with a RST. The late ACK was counted as the
        // answer to the last probe: 'FINDING: reset by the client after 5s without data; 3 keep-alive probes, 1
        // answered, 2 unanswered', the dead peer the client's kernel declared gone from the verdict.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(3.101, true, 1010, 5001, ".").Add(4.101, true, 1010, 5001, ".")
            .Add(5.101, true, 1011, 5001, "R.")
            .Add(5.601, false, 5001, 1011, ".").Add(5.6011, true, 1011, 0, "R")
            .Write(Path.Combine(_folder, "answered-after-reset.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(1);
        var flow = result.SingleFlow;
        var verdict = flow.GetProperty("verdict").GetString();
        verdict.Should().Contain("dead peer: 3 keep-alive probes from the client went unanswered and its kernel reset the connection")
            .And.Contain("the server answered (frame 10) 500ms after that reset");
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(0, "an answer after the connection was reset answers nothing");
        flow.GetProperty("unansweredInARow").GetInt32().Should().Be(3);
        flow.GetProperty("endedBy").GetString().Should().Be("client");
        JudgeWithTshark(file, flow);
    }

    [Theory]
    // The same segment sent 5 times, the gaps doubling (the retransmission timer backing off): the client's kernel got no
    // ACK, its own word even where the capture holds its direction alone (tcpdump started on a hung connection, or
    // filtered to one side).
    [InlineData(new[] { 1001u, 1001u, 1001u, 1001u, 1001u }, true)]
    // Two holes of a burst retransmitted once each, then the capture ended: fast retransmits of what the peer's
    // acknowledgments asked for, no sign that nothing answered.
    [InlineData(new[] { 1001u, 1011u, 1021u, 1001u, 1011u }, false)]
    public async Task Analyze_OneDirectionEndingOnRetransmissions_WentSilentOnlyWhenOneSegmentIsRepeated(uint[] sequences, bool silent)
    {
        var capture = new SyntheticCapture();
        var time = 0.0;
        for (var i = 0; i < sequences.Length; i++)
        {
            capture.Add(time, true, sequences[i], 5001, ".", payload: 10);
            time += 0.3 * (1 << i);
        }

        var file = capture.Write(Path.Combine(_folder, "one-way-retransmissions.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var flow = result.SingleFlow;
        var verdict = flow.GetProperty("verdict").GetString();
        flow.GetProperty("onlyFrom").GetString().Should().Be("client");
        verdict.Should().Contain("the capture holds one direction of this flow only");
        if (silent)
        {
            verdict.Should().Contain("went silent: the client (guessed) retransmitted the same segment 4 times until the capture ended (frames 2 to 5, over 4s200ms): its kernel got no acknowledgment");
            result.ExitCode.Should().Be(1, verdict);
        }
        else
        {
            verdict.Should().NotContain("went silent").And.Contain("whether the server (guessed) answered, and so whether it is alive, cannot be judged");
            result.ExitCode.Should().Be(3, verdict);
        }
    }

    [Fact]
    public async Task Analyze_NoHandshake_VerdictSaysTheRolesAreGuessedAsTheTableDoes()
    {
        // The capture starts after the connection opened: the table said "(guessed)", the verdict "from the client" as a fact.
        var file = new SyntheticCapture().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(3.101, true, 1010, 5001, ".").Add(4.101, true, 1010, 5001, ".")
            .Add(5.101, true, 1011, 5001, "R.")
            .Write(Path.Combine(_folder, "dead-late.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);
        var (_, text, _) = await ToolRun.InProcessAsync("analyze", file);

        var flow = result.SingleFlow;
        flow.GetProperty("rolesGuessed").GetBoolean().Should().BeTrue();
        flow.GetProperty("endedBy").GetString().Should().Be("client", "the JSON's fields keep their values; rolesGuessed says they are guessed");
        flow.GetProperty("verdict").GetString().Should().Contain("3 keep-alive probes from the client (guessed) went unanswered");
        text.Should().Contain("10.9.0.2:40000 -> 10.9.0.3:5000 (guessed): FINDING: dead peer: 3 keep-alive probes from the client (guessed) went unanswered");
    }

    [Fact]
    public async Task Analyze_ProbesIntoAZeroWindow_AreTheStalledPeerNotKeepAlive()
    {
        // The server took the 10 bytes and advertised a zero window: its application stopped reading. Linux's window
        // probe is a keep-alive probe's twin (SND.UNA - 1, no payload; tshark calls it tcp.analysis.keep_alive), and the
        // server answers each with its zero window again.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".", window: 0)
            .Add(0.3, true, 1010, 5001, ".").Add(0.301, false, 5001, 1011, ".", window: 0)
            .Add(0.7, true, 1010, 5001, ".").Add(0.701, false, 5001, 1011, ".", window: 0)
            .Add(1.5, true, 1010, 5001, ".").Add(1.501, false, 5001, 1011, ".", window: 0)
            .Write(Path.Combine(_folder, "zero-window.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(1, "a peer that stopped reading stalls the flow");
        var flow = result.SingleFlow;
        flow.GetProperty("keepAliveProbes").GetInt32().Should().Be(0, "a probe into a zero window is a window probe");
        flow.GetProperty("zeroWindowProbes").GetInt32().Should().Be(3);
        flow.GetProperty("zeroWindowProbeFrames").EnumerateArray().Select(static f => f.GetInt64()).Should().Equal(6, 8, 10);
        flow.GetProperty("verdict").GetString().Should().Contain("the server stopped reading: its receive window is zero")
            .And.Contain("3 zero-window probes from the client").And.NotContain("keep-alive probe");
        var (_, text, _) = await ToolRun.InProcessAsync("analyze", file);
        text.Should().Contain("the server stopped reading: its receive window is zero");
    }

    [Theory]
    // tcpdump stopped 0.2 s after the second unanswered probe (interval 1 s): the kernel was still probing (Linux resets
    // when it gives up). It read 'the probes stopped 3.001 s after the last data: the kernel gave up (... count 2)'.
    [InlineData(3.3, "the capture ended 199ms after the last probe, before the next was due: the kernel was still probing", "count at least 2)")]
    // Another flow goes on 5 s after the last probe: the prober stopped by itself, after its count.
    [InlineData(8.101, "the probes stopped 3s1ms after the last data: the kernel gave up", "count 2)")]
    public async Task Analyze_UnansweredProbesAtTheEnd_TheKernelGaveUpOnlyWhenTheCaptureWentOnPastTheNextProbe(double captureEnd, string how, string count)
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(3.101, true, 1010, 5001, ".")
            .Add(captureEnd, true, 1001, 5001, ".", client: new IPEndPoint(SyntheticCapture.Client.Address, 40001))
            .Write(Path.Combine(_folder, "unanswered-at-the-end.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(1, "probes nobody answers are a finding");
        result.Root.GetProperty("flows")[0].GetProperty("verdict").GetString()
            .Should().Contain("dead peer: 2 keep-alive probes from the client went unanswered and " + how).And.Contain(count);
    }

    [Fact]
    public async Task Analyze_BothSidesProbeThenThePeerVanishes_TheDeadPeersProberHasItsOwnIdleTime()
    {
        // Both ends run keep-alive, as with the library on both: the server (idle 1 s) probes first, the client (idle
        // 2 s) later, then the server vanishes and the client's probes go unanswered. The server's probe is no answer
        // the client's kernel counts (it is out of window), so the client had heard nothing for 2 s when it probed.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(1.101, false, 5000, 1011, ".").Add(1.102, true, 1011, 5001, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(2.102, false, 5001, 1011, ".")
            .Add(4.102, true, 1010, 5001, ".").Add(5.102, true, 1010, 5001, ".").Add(6.102, true, 1010, 5001, ".")
            .Add(7.102, true, 1011, 5001, "R.")
            .Write(Path.Combine(_folder, "both-probe.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(1, "a dead peer is a finding");
        var flow = result.SingleFlow;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(6, 8, 10, 11, 12);
        flow.GetProperty("firstProbeAfterIdle").GetDouble().Should().BeApproximately(2.0, 0.001, "the client's first probe left 2 s after the server was last heard");
        flow.GetProperty("verdict").GetString().Should().Contain("3 keep-alive probes from the client went unanswered").And.Contain("implies idle 2s, interval 1s, count 3");
        JudgeWithTshark(file, flow);
    }

    [Fact]
    public async Task Analyze_CaptureStoppedDuringABurst_TheSegmentsNotYetAcknowledgedAreNoSilence()
    {
        // tcpdump stopped while two segments of a transfer were in flight, before their ACK: nothing was retransmitted,
        // so nothing shows the peer went silent. It was 'FINDING: went silent: 2 segments ... never answered', exit 1.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 100).Add(0.1002, false, 5001, 1101, ".")
            .Add(5.1, true, 1101, 5001, ".", payload: 1000).Add(5.1001, true, 2101, 5001, ".", payload: 1000)
            .Write(Path.Combine(_folder, "burst.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(0, result.SingleFlow.GetProperty("verdict").GetString());
        result.SingleFlow.GetProperty("end").GetString().Should().Be("open");
        result.SingleFlow.GetProperty("silenceAfterIdle").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        result.SingleFlow.GetProperty("verdict").GetString().Should().Contain("still open at the end of the capture");
    }

    [Fact]
    public async Task Analyze_Ipv6WithAnExtensionHeader_ThePayloadLeavesTheHeaderOut()
    {
        // IPv6's payload length counts extension headers: an 8-byte hop-by-hop header read as 8 bytes of TCP payload,
        // so the probe (frame 6, SND.NXT - 1, empty) was data and no probe.
        var file = new SyntheticCapture()
            .AddFrame(0, Ipv6Frame(true, 1000, 0, 0x02, 0)).AddFrame(0.0005, Ipv6Frame(false, 5000, 1001, 0x12, 0)).AddFrame(0.001, Ipv6Frame(true, 1001, 5001, 0x10, 0))
            .AddFrame(0.1, Ipv6Frame(true, 1001, 5001, 0x10, 10)).AddFrame(0.101, Ipv6Frame(false, 5001, 1011, 0x10, 0))
            .AddFrame(1.101, Ipv6Frame(true, 1010, 5001, 0x10, 0)).AddFrame(1.102, Ipv6Frame(false, 5001, 1011, 0x10, 0))
            .Write(Path.Combine(_folder, "ipv6-extension.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var flow = result.SingleFlow;
        AnalyzeResult.ProbeFrames(flow).Should().Equal(6);
        flow.GetProperty("retransmissions").GetInt32().Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    // tcpdump -s cut the frame: PacketDotNet read the length from the bytes kept, 6 of the 10, and the probe was lost.
    [InlineData(true)]
    public async Task Analyze_Ipv4TotalLengthZero_ThePayloadIsWhatTheFrameCarriedOnTheWire(bool cut)
    {
        // A capture of a TSO/BIG TCP segment has an IPv4 total length of 0: its 10 bytes must count, or the probe after
        // them (SND.NXT - 1 = 1010) is out of place and no probe.
        var tso = new SyntheticCapture().Add(0.1, true, 1001, 5001, ".", payload: 10).Frame(0);
        tso[14 + 2] = 0;
        tso[14 + 3] = 0;
        var file = Handshake().AddFrame(0.1, tso).Add(0.101, false, 5001, 1011, ".")
            .Add(1.101, true, 1010, 5001, ".").Add(1.102, false, 5001, 1011, ".")
            .Write(Path.Combine(_folder, "tso.pcap"));
        if (cut)
        {
            file = CutBySnapLength(file, tso.Length - 4);
        }

        using var result = await AnalyzeResult.RunAsync(file);

        AnalyzeResult.ProbeFrames(result.SingleFlow).Should().Equal(6);
    }

    [Theory]
    // Linux's BIG TCP: a segment larger than 64 KiB, seen before the NIC splits it, has an IPv6 payload length of 0, with
    // no extension header (Linux 6.x) or a jumbo payload option (RFC 2675); either read as an IPv6 packet without TCP,
    // so its 10 bytes were lost and the probe after them (SND.NXT - 1 = 1010) was out of place and no probe.
    [InlineData(false, false)]
    [InlineData(true, false)]
    // tcpdump -s cut the frame: the payload is what the frame was on the wire, not what the snap length kept.
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Analyze_Ipv6PayloadLengthZero_BigTcpSegmentIsReadToTheEndOfTheFrameOnTheWire(bool jumboOption, bool cut)
    {
        // Without the jumbo option the flow has no extension header at all, as Linux sends it.
        byte[] Frame(bool fromClient, uint seq, uint ack, byte flags, int payload)
        {
            var frame = Ipv6Frame(fromClient, seq, ack, flags, payload);
            if (jumboOption)
            {
                return frame;
            }

            byte[] bare = [.. frame.Where(static (_, i) => i is < 14 + 40 or >= 14 + 48)];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bare.AsSpan(14 + 4), (ushort)(20 + payload));
            bare[14 + 6] = 6; // TCP next
            return bare;
        }

        var big = Frame(true, 1001, 5001, 0x10, 10);
        var ip = big.AsSpan(14);
        ip[4] = ip[5] = 0;
        if (jumboOption)
        {
            ip[42] = 0xC2; // jumbo payload: 4 bytes, the length after the fixed header
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ip[44..], 8 + 20 + 10);
        }

        var file = new SyntheticCapture()
            .AddFrame(0, Frame(true, 1000, 0, 0x02, 0)).AddFrame(0.0005, Frame(false, 5000, 1001, 0x12, 0)).AddFrame(0.001, Frame(true, 1001, 5001, 0x10, 0))
            .AddFrame(0.1, big).AddFrame(0.101, Frame(false, 5001, 1011, 0x10, 0))
            .AddFrame(1.101, Frame(true, 1010, 5001, 0x10, 0)).AddFrame(1.102, Frame(false, 5001, 1011, 0x10, 0))
            .Write(Path.Combine(_folder, "big-tcp.pcap"));
        if (cut)
        {
            // Keeps 6 of the 10 bytes of the big segment, and the other frames whole.
            file = CutBySnapLength(file, big.Length - 4);
        }

        using var result = await AnalyzeResult.RunAsync(file);

        AnalyzeResult.ProbeFrames(result.SingleFlow).Should().Equal(6);
        result.SingleFlow.GetProperty("retransmissions").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task Analyze_Pcapng_SameFindingsAsPcap()
    {
        TestEnvironment.Require(KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("editcap", "-h").ExitCode == 0, "editcap (Wireshark) is missing: apt-get install tshark");
        var pcap = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(2.101, true, 1010, 5001, ".").Add(3.101, true, 1010, 5001, ".").Add(4.101, true, 1011, 5001, "R.")
            .Write(Path.Combine(_folder, "dead.pcap"));
        var pcapng = Path.Combine(_folder, "dead.pcapng");
        KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("editcap", "-F", "pcapng", pcap, pcapng).ExitCode.Should().Be(0);

        using var fromPcap = await AnalyzeResult.RunAsync(pcap);
        using var fromPcapng = await AnalyzeResult.RunAsync(pcapng);

        fromPcapng.ExitCode.Should().Be(1);
        fromPcapng.Root.ToString().Should().Be(fromPcap.Root.ToString());
        fromPcapng.SingleFlow.GetProperty("keepAliveProbes").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task Analyze_HeartbeatThirteenSecondsLate_ReportsItsTimeAndGap()
    {
        var capture = Handshake();
        uint seq = 1001;
        var times = new[] { 1.0, 2.0, 3.0, 16.0, 17.0 };
        foreach (var time in times)
        {
            capture.Add(time, true, seq, 5001, ".", payload: 4).Add(time + 0.001, false, 5001, seq + 4, ".");
            seq += 4;
        }

        var file = capture.Write(Path.Combine(_folder, "late.pcap"));

        using var result = await AnalyzeResult.RunAsync(file, "--heartbeat-interval", "1s");

        result.ExitCode.Should().Be(1, "a late heartbeat is a finding");
        var flow = result.SingleFlow;
        flow.GetProperty("maxDataGap").GetDouble().Should().BeApproximately(13.0, 0.001);
        var late = flow.GetProperty("lateHeartbeats").EnumerateArray().Should().ContainSingle().Subject;
        late.GetProperty("at").GetDouble().Should().BeApproximately(16.0, 0.001);
        late.GetProperty("gap").GetDouble().Should().BeApproximately(13.0, 0.001);
        flow.GetProperty("end").GetString().Should().Be("open");
        flow.GetProperty("endAfterIdle").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        flow.GetProperty("verdict").GetString().Should().Contain("late heartbeat");
    }

    [Fact]
    public async Task Analyze_WithoutHeartbeatInterval_ReportsGapButNoLateHeartbeat()
    {
        var file = Handshake().Add(1, true, 1001, 5001, ".", payload: 4).Add(1.001, false, 5001, 1005, ".")
            .Add(14, true, 1005, 5001, ".", payload: 4).Add(14.001, false, 5001, 1009, ".")
            .Write(Path.Combine(_folder, "gap.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(0);
        result.SingleFlow.GetProperty("maxDataGap").GetDouble().Should().BeApproximately(13, 0.001);
        result.SingleFlow.GetProperty("lateHeartbeats").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Analyze_SameAddressesAndPortsReusedByANewConnection_IsTwoFlows()
    {
        // A client bound to a fixed port connects again after its first connection was reset: two connections, as
        // tshark's tcp.stream counts them, each with its own end (they were one flow that ended 'rst', its data gap
        // spanning both).
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(0.3, false, 5001, 1011, "R.")
            .Add(0.8, true, 9000, 0, "S").Add(0.8005, false, 7000, 9001, "S.").Add(0.801, true, 9001, 7001, ".")
            .Add(0.9, true, 9001, 7001, ".", payload: 10).Add(0.901, false, 7001, 9011, ".")
            .Add(1.0, true, 9011, 7001, "F.").Add(1.001, false, 7001, 9012, "F.").Add(1.002, true, 9012, 7002, ".")
            .Write(Path.Combine(_folder, "reused.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.Flows.Select(static f => (f.GetProperty("end").GetString(), f.GetProperty("packets").GetInt32()))
            .Should().Equal(("rst", 6), ("fin", 8));
        result.Flows[1].GetProperty("maxDataGap").GetDouble().Should().Be(0, "the second connection carries one data segment; the 800 ms back to the first connection's data is no gap of its own");
        result.ExitCode.Should().Be(1, "the first connection was reset");
        if (Tshark.Available)
        {
            Tshark.Frames(file, "tcp.stream == 1").Should().Equal(7, 8, 9, 10, 11, 12, 13, 14);
        }
    }

    [Fact]
    public async Task Analyze_NoHandshakeAndAServerPortAboveItsClients_TheSharedEndpointIsTheServer()
    {
        // A capture started while a gRPC server on 50051 held two connections: no SYN to tell. The higher port alone
        // made the server the client of both, so the server's RST read 'reset by the client'.
        var server = new IPEndPoint(IPAddress.Parse("10.9.0.3"), 50051);
        var first = new IPEndPoint(IPAddress.Parse("10.9.0.2"), 40000);
        var second = new IPEndPoint(IPAddress.Parse("10.9.0.4"), 40002);
        var file = new SyntheticCapture()
            .Add(0.1, false, 5001, 1001, ".", payload: 10, client: first, server: server).Add(0.101, true, 1001, 5011, ".", client: first, server: server)
            .Add(0.2, false, 8001, 3001, ".", payload: 10, client: second, server: server).Add(0.201, true, 3001, 8011, ".", client: second, server: server)
            .Add(0.5, false, 5011, 1001, "R.", client: first, server: server)
            .Write(Path.Combine(_folder, "midflight.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.Flows.Select(static f => (f.GetProperty("client").GetString(), f.GetProperty("server").GetString()))
            .Should().Equal(("10.9.0.2:40000", "10.9.0.3:50051"), ("10.9.0.4:40002", "10.9.0.3:50051"));
        result.Flows[0].GetProperty("endedBy").GetString().Should().Be("server");
        result.Flows[0].GetProperty("verdict").GetString().Should().Contain("reset by the server");
    }

    [Fact]
    public async Task Analyze_TruncatedCapture_AnalysesWhatIsThereAndSaysItWasCut()
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.2, false, 5001, 1011, ".", payload: 10)
            .Write(Path.Combine(_folder, "cut.pcap"));
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..^20]);

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(2, "a cut file is bad input, even though what is there was analysed");
        result.Root.GetProperty("truncated").GetBoolean().Should().BeTrue();
        result.SingleFlow.GetProperty("packets").GetInt32().Should().Be(4, "the four whole frames are analysed");
        result.Error.Should().Contain("cut off after 4 frames").And.Contain("Fix: ");
    }

    [Theory]
    [InlineData("", "an empty file (0 bytes), not a capture")]
    [InlineData("74686973206973206120746578742066696C650A", "not a pcap or pcapng capture")]
    // tcpdump killed before it wrote its whole file header: the file starts as a capture does, and calling it "not a
    // pcap or pcapng capture" sent the user looking for the wrong file.
    [InlineData("D4C3B2A102000400000000000000", "a pcap capture cut inside its file header")]
    [InlineData("0A0D0D0A1C0000004D3C2B1A0100", "a pcapng capture cut inside its file header")]
    public async Task Analyze_FileThatHoldsNoCapture_NamesThePathTheProblemAndTheFix(string hex, string problem)
    {
        // An empty file read 'not a pcap or pcapng capture (... tried to read 4 file header bytes, only got 0)', and none
        // of these refusals said "Fix:" as every other refusal of the tool does.
        var file = Path.Combine(_folder, "capture.pcap");
        await File.WriteAllBytesAsync(file, Convert.FromHexString(hex));

        var (exitCode, output, error) = await ToolRun.InProcessAsync("analyze", file);

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().StartWith($"{file}: {problem}").And.Contain(". Fix: ").And.Contain("tcpdump");
    }

    [Fact]
    public async Task Analyze_RecordLibpcapRefusesInTheMiddle_SaysWhereItStoppedAndTheFix()
    {
        // A damaged record header after the handshake (a captured length of 2 GiB): the warning named libpcap's reason and
        // stopped there, with no fix ('libpcap stopped reading x.pcap after 3 frames (invalid packet capture length ...)').
        var file = Handshake().Write(Path.Combine(_folder, "damaged-record.pcap"));
        await File.AppendAllBytesAsync(file, [.. new byte[8], .. BitConverter.GetBytes(int.MaxValue), .. BitConverter.GetBytes(60), .. new byte[60]]);

        var (exitCode, _, error) = await ToolRun.InProcessAsync("analyze", file);

        exitCode.Should().Be(2);
        error.Should().Contain("libpcap stopped reading damaged-record.pcap after 3 frames (invalid packet capture length")
            .And.Contain("Fix: ");
    }

    [Fact]
    public async Task Analyze_PcapngWithInterfacesOfTwoLinkTypes_SaysLibpcapStoppedThereNotThatTheFileIsCut()
    {
        // Wireshark capturing on several interfaces (eth0 and a WireGuard tunnel, or 'any' and lo) writes one pcapng
        // with a link type per interface; libpcap reads one link type per file and stops at the second interface.
        var pcap = await File.ReadAllBytesAsync(Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Write(Path.Combine(_folder, "one.pcap")));
        var pcapng = new List<byte>();
        void Block(uint type, byte[] body)
        {
            var padded = (body.Length + 3) & ~3;
            pcapng.AddRange(BitConverter.GetBytes(type));
            pcapng.AddRange(BitConverter.GetBytes((uint)(12 + padded)));
            pcapng.AddRange(body);
            pcapng.AddRange(new byte[padded - body.Length]);
            pcapng.AddRange(BitConverter.GetBytes((uint)(12 + padded)));
        }

        byte[] Interface(ushort linkType) => [.. BitConverter.GetBytes(linkType), 0, 0, .. BitConverter.GetBytes(65535u)];
        Block(0x0A0D0D0A, [.. BitConverter.GetBytes(0x1A2B3C4Du), 1, 0, 0, 0, .. BitConverter.GetBytes(-1L)]);
        Block(1, Interface(1));
        for (var offset = 24; offset < pcap.Length;)
        {
            // Each pcap record (seconds, microseconds, captured, original length, frame) as an Enhanced Packet Block on interface 0.
            var (seconds, micros, length) = (BitConverter.ToUInt32(pcap, offset), BitConverter.ToUInt32(pcap, offset + 4), BitConverter.ToInt32(pcap, offset + 8));
            var time = (seconds * 1_000_000UL) + micros;
            Block(6, [.. BitConverter.GetBytes(0u), .. BitConverter.GetBytes((uint)(time >> 32)), .. BitConverter.GetBytes((uint)time),
                .. BitConverter.GetBytes(length), .. BitConverter.GetBytes(length), .. pcap.AsSpan(offset + 16, length)]);
            offset += 16 + length;
        }

        Block(1, Interface(276)); // Linux cooked capture v2
        var file = Path.Combine(_folder, "two-link-types.pcapng");
        await File.WriteAllBytesAsync(file, [.. pcapng]);

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(2, "what follows the second interface was not analysed");
        result.SingleFlow.GetProperty("packets").GetInt32().Should().Be(4, "the frames before it are analysed");
        result.Error.Should().NotContain("cut off").And.Contain("libpcap stopped reading two-link-types.pcapng after 4 frames")
            .And.Contain("different from the type of the first interface").And.Contain("Fix: capture again");
    }

    [Fact]
    public async Task Analyze_CorruptTimestampAndShortFrame_AnalysesTheRestAndCountsWhatItCouldNotDecode()
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Write(Path.Combine(_folder, "corrupt.pcap"));
        var bytes = (await File.ReadAllBytesAsync(file)).ToList();
        // The first record's microseconds (file header 24 bytes, then seconds, microseconds): 0xFFFFFFFF, more than a
        // second, which DateTime-based readers overflow on.
        bytes.RemoveRange(28, 4);
        bytes.InsertRange(28, BitConverter.GetBytes(uint.MaxValue));
        // A sixth frame of 6 bytes: too short for its own Ethernet header.
        bytes.AddRange([.. BitConverter.GetBytes(1_764_072_001u), .. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(6u), .. BitConverter.GetBytes(6u), 1, 2, 3, 4, 5, 6]);
        await File.WriteAllBytesAsync(file, [.. bytes]);

        using var result = await AnalyzeResult.RunAsync(file);
        var (textExit, text, _) = await ToolRun.InProcessAsync("analyze", file);

        result.ExitCode.Should().Be(0, "the frames that decode are analysed; the others are counted and named");
        result.Root.GetProperty("frames").GetInt32().Should().Be(5);
        result.Root.GetProperty("undecodableFrames").GetInt32().Should().Be(1);
        result.SingleFlow.GetProperty("packets").GetInt32().Should().Be(4);
        result.Error.Should().Contain("1 frame of corrupt.pcap could not be decoded").And.Contain("the first is frame 5");
        textExit.Should().Be(0);
        text.Should().Contain("corrupt.pcap: 5 frames, 1 TCP flow");
    }

    [Theory]
    [InlineData(108, "Loop (108)")]
    [InlineData(228, "IPv4 (228)")]
    [InlineData(105, "Ieee80211 (105)")]
    public async Task Analyze_LinkTypeItCannotDecode_SaysSoAndExitsTwo(int linkType, string named)
    {
        // An OpenBSD loopback or raw-IPv4 capture: the frames are whole, PacketDotNet does not know their link type.
        // They were called 'too short or malformed' and the run ended '0 TCP flows', exit 0. IEEE 802.11 frames that
        // PacketDotNet reads as management frames, with no IP, read 'Nothing to judge: ... holds no TCP segment ... Fix:
        // capture where the connection's packets pass', exit 3: as if the capture had missed the connection.
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Write(Path.Combine(_folder, "linktype.pcap"));
        var bytes = await File.ReadAllBytesAsync(file);
        BitConverter.GetBytes(linkType).CopyTo(bytes, 20); // the file header's link type
        await File.WriteAllBytesAsync(file, bytes);

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(2, "nothing in the capture was analysed");
        result.Root.GetProperty("undecodableFrames").GetInt32().Should().Be(4);
        // Why the exit code is 2, in the JSON: it said only '"truncated": false' and the undecodable count, which damaged
        // frames (exit 0) give too.
        result.Root.GetProperty("undecodableLinkType").GetString().Should().Be(named);
        result.Error.Should().Contain($"4 frames of linktype.pcap could not be decoded, of link type {named}, which analyze cannot decode")
            .And.Contain("Fix: capture again with tcpdump").And.NotContain("malformed");
    }

    [Fact]
    public async Task Analyze_DamagedFramesOfALinkTypeItReads_AreDamagedNotOfALinkTypeItCannotDecode()
    {
        // Ethernet frames in a capture labelled raw IP (a converter's mistake): PacketDotNet throws NotImplementedException
        // for the IP version it finds, and the warning said 'of link type RawLegacy (12), which analyze cannot decode (it
        // reads ... raw IP)', with exit code 2 and the fix to capture again on Linux: it contradicted itself.
        var file = Handshake().Write(Path.Combine(_folder, "raw.pcap"), PacketDotNet.LinkLayers.RawLegacy);

        using var result = await AnalyzeResult.RunAsync(file);

        result.Root.GetProperty("undecodableFrames").GetInt32().Should().Be(3);
        result.Error.Should().Contain("3 frames of raw.pcap could not be decoded, too short or malformed for their headers")
            .And.NotContain("which analyze cannot decode");
        result.ExitCode.Should().Be(3, "the frames are damaged, not of a link type analyze does not read: nothing was judged");
    }

    [Fact]
    public async Task Analyze_WifiFramesPacketDotNetReadsNoPacketFrom_CountedAsALinkTypeItCannotDecodeNotACrash()
    {
        // IP packets in a capture of link type IEEE 802.11 (a Wi-Fi capture, or IP relabelled by a converter): PacketDotNet
        // returns no packet for them, and analyze died with a NullReferenceException, its stack trace and exit code 134.
        var ethernet = Handshake();
        var wifi = new SyntheticCapture();
        for (var i = 0; i < 3; i++)
        {
            wifi.AddFrame(i * 0.001, ethernet.Frame(i)[14..]);
        }

        var file = wifi.Write(Path.Combine(_folder, "wifi.pcap"), PacketDotNet.LinkLayers.Ieee80211);

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(2, "nothing in the capture was analysed");
        result.Root.GetProperty("undecodableFrames").GetInt32().Should().Be(3);
        result.Error.Should().Contain("3 frames of wifi.pcap could not be decoded, of link type Ieee80211 (105), which analyze cannot decode")
            .And.Contain("Fix: capture again with tcpdump");
    }

    [Theory]
    [InlineData(1.5, "1s500ms")]
    [InlineData(18_446_744_072_435.0, "18446744072435s")]
    [InlineData(double.NaN, "n/a")]
    public void Units_Seconds_WritesEvenAGapNoTimeSpanHolds(double seconds, string expected) =>
        KeepAlive.Net.Tool.Cli.Units.Seconds(seconds).Should().Be(expected, "a capture's corrupt timestamps make such gaps, and the report must still print");

    [Fact]
    public async Task Analyze_CaptureWithAWholeButDamagedFileHeader_SaysSoNotThatItWasCut()
    {
        // A whole 24-byte pcap header whose version (9.4) libpcap refuses read 'a pcap capture cut inside its file header
        // (... unsupported pcap savefile version 9.4): the program that wrote it stopped before any packet': nothing was cut.
        var file = Path.Combine(_folder, "damaged.pcap");
        await File.WriteAllBytesAsync(file, Convert.FromHexString("D4C3B2A1090004000000000000000000FFFF000001000000"));

        var (exitCode, output, error) = await ToolRun.InProcessAsync("analyze", file);

        exitCode.Should().Be(2);
        output.Should().BeEmpty();
        error.Should().Contain("a pcap capture whose file header libpcap cannot read (").And.Contain("unsupported pcap savefile version 9.4")
            .And.Contain("Fix: ").And.NotContain("cut inside");
    }

    [Fact]
    public async Task Analyze_MissingFile_RefusedWithExitCode2()
    {
        var (exitCode, _, error) = await ToolRun.InProcessAsync("analyze", Path.Combine(_folder, "missing.pcap"));

        exitCode.Should().Be(2);
        error.Should().Contain("no such file");
    }

    [Fact]
    public async Task Analyze_DirectoryOrSettingsDirectory_SaysItIsADirectory()
    {
        // A directory was called 'no such file' (it exists), and --settings gave no fix.
        var (exitCode, _, error) = await ToolRun.InProcessAsync("analyze", _folder);
        var (settingsExit, _, settingsError) = await ToolRun.InProcessAsync("show", "--settings", _folder);

        exitCode.Should().Be(2);
        error.Should().Contain($"{_folder}: a directory, not a file. Fix: give a .pcap or .pcapng file");
        settingsExit.Should().Be(2);
        settingsError.Should().Contain($"--settings {_folder}: a directory, not a file. Fix: give the appsettings.json file that holds KeepAlive:Profiles");
    }

    [Fact]
    public async Task Analyze_BareNumberForInterval_RefusedShowingTheUnitForm()
    {
        var file = Handshake().Write(Path.Combine(_folder, "bare.pcap"));

        var (exitCode, _, error) = await ToolRun.InProcessAsync("analyze", file, "--heartbeat-interval", "30");

        exitCode.Should().Be(2);
        error.Should().Contain("--heartbeat-interval").And.Contain("\"30s\"");
    }

    [Fact]
    public async Task Analyze_TextOutput_PrintsTableAndVerdictPerFlow()
    {
        var file = Handshake().Add(0.1, true, 1001, 5001, ".", payload: 10).Write(Path.Combine(_folder, "text.pcap"));

        var (exitCode, output, _) = await ToolRun.InProcessAsync("analyze", file);

        exitCode.Should().Be(0);
        output.Should().Contain("text.pcap: 4 frames, 1 TCP flow").And.Contain("10.9.0.2:40000 -> 10.9.0.3:5000: ok:");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>An IPv6 TCP segment between [fd00::2]:40000 and [fd00::3]:5000 behind an 8-byte hop-by-hop header (PadN).</summary>
    private static byte[] Ipv6Frame(bool fromClient, uint seq, uint ack, byte flags, int payload)
    {
        var frame = new byte[14 + 40 + 8 + 20 + payload];
        frame[12] = 0x86;
        frame[13] = 0xDD;
        var ip = frame.AsSpan(14);
        ip[0] = 0x60;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(8 + 20 + payload));
        ip[6] = 0; // hop-by-hop options next
        ip[7] = 64;
        ip[8] = ip[24] = 0xFD;
        ip[23] = (byte)(fromClient ? 2 : 3);
        ip[39] = (byte)(fromClient ? 3 : 2);
        ip[40] = 6; // then TCP; length 0 (8 bytes); PadN of 4
        ip[42] = 1;
        ip[43] = 4;
        var tcp = ip[48..];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)(fromClient ? 40000 : 5000));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)(fromClient ? 5000 : 40000));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = 0x50;
        tcp[13] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        return frame;
    }

    /// <summary>A copy of <paramref name="file"/> as tcpdump -s <paramref name="snapLength"/> would have written it (editcap -s): longer frames cut, their length on the wire kept.</summary>
    private static string CutBySnapLength(string file, int snapLength)
    {
        TestEnvironment.Require(KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("editcap", "-h").ExitCode == 0, "editcap (Wireshark) is missing: apt-get install tshark");
        var cut = Path.ChangeExtension(file, ".cut.pcap");
        KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("editcap", "-s", snapLength.ToString(System.Globalization.CultureInfo.InvariantCulture), file, cut).ExitCode.Should().Be(0);
        return cut;
    }

    private static SyntheticCapture Handshake() => new SyntheticCapture()
        .Add(0, true, 1000, 0, "S").Add(0.0005, false, 5000, 1001, "S.").Add(0.001, true, 1001, 5001, ".");

    private static void JudgeWithTshark(string file, System.Text.Json.JsonElement flow)
    {
        TestEnvironment.Require(Tshark.Available, "tshark is not installed: apt-get install tshark");
        AnalyzeResult.ProbeFrames(flow).Should().Equal(Tshark.Frames(file, "tcp.analysis.keep_alive"));
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(Tshark.Frames(file, "tcp.analysis.keep_alive_ack").Count);
    }
}

using System.Buffers.Binary;
using System.Text;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Analyze;
using KeepAlive.Net.Tool.Tests.Support;

namespace KeepAlive.Net.Tool.Tests.Analyze;

/// <summary>
/// <c>analyze</c> above TCP and on resets, on captures built segment by segment where the answer is known exactly:
/// HTTP/2 frames split across segments, retransmitted and reordered, an h2c upgrade, WebSocket close codes, a cut
/// payload, a RST from another device and one from the server itself, and probe counts that add up.
/// </summary>
public sealed class AnalyzeStreamsSyntheticTests : IDisposable
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-streams-").FullName;

    [Fact]
    public async Task Analyze_H2cPingsSplitRetransmittedAndReordered_CountsEachFrameOnce()
    {
        var client = new Stream(1001);
        var server = new Stream(5001);
        var capture = Handshake();
        // The preface and a PING in one buffer, cut in two segments mid-frame.
        var first = Concat(Preface, H2(6, 0, new byte[8]));
        capture.Add(0.1, true, client.Next, server.Next, ".", data: first[..30]);
        client.Advance(30);
        capture.Add(0.1005, true, client.Next, server.Next, ".", data: first[30..]);
        client.Advance(first.Length - 30);
        capture.Add(0.101, false, server.Next, client.Next, ".", data: H2(6, 1, new byte[8]));
        server.Advance(17);
        // The second PING is retransmitted; the third arrives before the second's retransmission is even seen.
        var second = H2(6, 0, [1, 0, 0, 0, 0, 0, 0, 0]);
        var third = H2(6, 0, [2, 0, 0, 0, 0, 0, 0, 0]);
        capture.Add(1.1, true, client.Next + 17, server.Next, ".", data: third);
        capture.Add(1.2, true, client.Next, server.Next, ".", data: second);
        capture.Add(1.4, true, client.Next, server.Next, ".", data: second);
        client.Advance(34);
        capture.Add(1.401, false, server.Next, client.Next, ".", data: Concat(H2(6, 1, new byte[8]), H2(6, 1, new byte[8])));
        server.Advance(34);
        capture.Add(1.402, true, client.Next, server.Next, ".");
        capture.Add(2.1, false, server.Next, client.Next, ".", data: GoAway(0, 0, null));
        server.Advance(17);
        capture.Add(2.101, true, client.Next, server.Next, ".");
        var file = capture.Write(Path.Combine(_folder, "h2c.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var http2 = result.SingleFlow.GetProperty("http2");
        http2.GetProperty("pingsFromClient").GetInt32().Should().Be(3);
        http2.GetProperty("pingAcksFromServer").GetInt32().Should().Be(3);
        http2.GetProperty("pingsFromServer").GetInt32().Should().Be(0);
        http2.GetProperty("clientPingInterval").GetDouble().Should().BeApproximately(0.55, 0.001, "the PINGs began in segments at 0.1, 1.2 and 1.1 s: gaps of 1 s and 0.1 s");
        var goAway = http2.GetProperty("goAways").EnumerateArray().Should().ContainSingle().Subject;
        goAway.GetProperty("error").GetString().Should().Be("NO_ERROR");
        result.SingleFlow.GetProperty("finding").GetBoolean().Should().BeFalse("a GOAWAY with NO_ERROR is a graceful shutdown: {0}", result.SingleFlow.GetProperty("verdict").GetString());
        result.ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Analyze_H2cWithoutHandshake_NamesTheSidesOfItsFramesAsGuessed()
    {
        // The capture starts after the connection opened, so which side is the client is a guess: the table said so, the
        // HTTP/2 sentence did not ("PING from the client", "GOAWAY from the server").
        var client = new Stream(1001);
        var server = new Stream(5001);
        var capture = new SyntheticCapture();
        var first = Concat(Preface, H2(6, 0, new byte[8]));
        capture.Add(0.1, true, client.Next, server.Next, ".", data: first);
        client.Advance(first.Length);
        capture.Add(0.101, false, server.Next, client.Next, ".", data: H2(6, 1, new byte[8]));
        server.Advance(17);
        capture.Add(0.2, false, server.Next, client.Next, ".", data: GoAway(0, 0, null));
        server.Advance(17);
        capture.Add(0.201, true, client.Next, server.Next, ".");
        var file = capture.Write(Path.Combine(_folder, "h2c-late.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        result.SingleFlow.GetProperty("rolesGuessed").GetBoolean().Should().BeTrue();
        result.SingleFlow.GetProperty("verdict").GetString().Should().Contain("1 PING from the client (guessed)")
            .And.Contain("acknowledged by the server (guessed)").And.Contain("GOAWAY from the server (guessed)");
    }

    [Fact]
    public async Task Analyze_H2cUpgradeFromHttp11_ReadsFramesAfterThe101AndTheClientPreface()
    {
        var client = new Stream(1001);
        var server = new Stream(5001);
        var request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"u8.ToArray();
        var capture = Handshake().Add(0.1, true, client.Next, server.Next, ".", data: request);
        client.Advance(request.Length);
        var switching = Concat("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"u8.ToArray(), H2(4, 0, []));
        capture.Add(0.2, false, server.Next, client.Next, ".", data: switching);
        server.Advance(switching.Length);
        var frames = Concat(Preface, H2(4, 0, []), H2(6, 0, new byte[8]));
        capture.Add(0.3, true, client.Next, server.Next, ".", data: frames);
        client.Advance(frames.Length);
        capture.Add(0.4, false, server.Next, client.Next, ".", data: GoAway(1, 0xb, "too_many_pings"));
        var file = capture.Write(Path.Combine(_folder, "upgrade.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var http2 = result.SingleFlow.GetProperty("http2");
        http2.GetProperty("pingsFromClient").GetInt32().Should().Be(1);
        var goAway = http2.GetProperty("goAways").EnumerateArray().Should().ContainSingle().Subject;
        (goAway.GetProperty("errorCode").GetInt32(), goAway.GetProperty("debug").GetString(), goAway.GetProperty("lastStreamId").GetInt32()).Should().Be((0xb, "too_many_pings", 1));
        var verdict = result.SingleFlow.GetProperty("verdict").GetString()!;
        verdict.Should().Contain("gRPC servers accept one ping every 5m by default", "the advice writes the server's minimum ping interval as the profile's Http:PeerMinPingInterval would");
        DurationText.NotReadBack(verdict).Should().BeEmpty();
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_GoAwayWithLongDebugTextAcrossSegments_IsReportedWithItsTextCut()
    {
        var client = new Stream(1001);
        var server = new Stream(5001);
        var capture = Handshake();
        var frames = Concat(Preface, H2(4, 0, []));
        capture.Add(0.1, true, client.Next, server.Next, ".", data: frames);
        client.Advance(frames.Length);
        // 2,000 bytes of debug text: more than the reader keeps, in two segments.
        var goAway = GoAway(3, 0xb, "too_many_pings" + new string('x', 1986));
        capture.Add(0.2, false, server.Next, client.Next, ".", data: goAway[..1400]);
        server.Advance(1400);
        capture.Add(0.2005, false, server.Next, client.Next, ".", data: goAway[1400..]);
        var file = capture.Write(Path.Combine(_folder, "long-goaway.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var reported = result.SingleFlow.GetProperty("http2").GetProperty("goAways").EnumerateArray().Should().ContainSingle("a long GOAWAY is still a GOAWAY").Subject;
        (reported.GetProperty("errorCode").GetInt32(), reported.GetProperty("lastStreamId").GetInt32()).Should().Be((0xb, 3));
        reported.GetProperty("debug").GetString().Should().StartWith("too_many_pings").And.HaveLength(1024 - 8, "the reader keeps the first 1,024 payload bytes");
        result.ExitCode.Should().Be(1);
    }

    [Theory]
    [InlineData(1000, false)]
    [InlineData(1001, false)]
    [InlineData(1011, true)]
    public async Task Analyze_WebSocketClose_MaskedCodeAndReasonReadAndJudged(int code, bool finding)
    {
        var client = new Stream(1001);
        var server = new Stream(5001);
        var request = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"u8.ToArray();
        var capture = Handshake().Add(0.1, true, client.Next, server.Next, ".", data: request);
        client.Advance(request.Length);
        var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"u8.ToArray();
        capture.Add(0.2, false, server.Next, client.Next, ".", data: response);
        server.Advance(response.Length);
        foreach (var time in new[] { 1.0, 2.0, 3.0 })
        {
            capture.Add(time, true, client.Next, server.Next, ".", data: Ws(0x9, [], masked: true));
            client.Advance(6);
            capture.Add(time + 0.01, false, server.Next, client.Next, ".", data: Ws(0xA, [], masked: false));
            server.Advance(2);
        }

        var close = new byte[2 + 3];
        BinaryPrimitives.WriteUInt16BigEndian(close, (ushort)code);
        "bye"u8.CopyTo(close.AsSpan(2));
        capture.Add(3.5, true, client.Next, server.Next, ".", data: Ws(0x8, close, masked: true));
        var file = capture.Write(Path.Combine(_folder, "ws.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var webSocket = result.SingleFlow.GetProperty("webSocket");
        (webSocket.GetProperty("pingsFromClient").GetInt32(), webSocket.GetProperty("pongsFromServer").GetInt32()).Should().Be((3, 3));
        webSocket.GetProperty("clientPingInterval").GetDouble().Should().BeApproximately(1.0, 0.001);
        var closed = webSocket.GetProperty("closes").EnumerateArray().Should().ContainSingle().Subject;
        (closed.GetProperty("code").GetInt32(), closed.GetProperty("reason").GetString()).Should().Be((code, "bye"));
        result.SingleFlow.GetProperty("finding").GetBoolean().Should().Be(finding);
    }

    [Fact]
    public async Task Analyze_HoleTheCaptureNeverFills_SaysWhereTheFramesStopEvenWithFewSegmentsAfterIt()
    {
        var client = new Stream(1001);
        var server = new Stream(5001);
        var capture = Handshake();
        var frames = Concat(Preface, H2(6, 0, new byte[8]));
        capture.Add(0.1, true, client.Next, server.Next, ".", data: frames);
        client.Advance(frames.Length);
        capture.Add(0.101, false, server.Next, client.Next, ".", data: H2(6, 1, new byte[8]));
        server.Advance(17);
        // tcpdump dropped the server's next segment (a PING ACK); the GOAWAY after it waits behind the hole for ever.
        server.Advance(17);
        capture.Add(2.1, false, server.Next, client.Next, ".", data: GoAway(0, 0xb, "too_many_pings"));
        var file = capture.Write(Path.Combine(_folder, "hole.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var http2 = result.SingleFlow.GetProperty("http2");
        http2.GetProperty("brokenAt").GetString().Should().Contain("a hole in the capture after byte 17", "the server's stream stops after its first 17 bytes");
        result.SingleFlow.GetProperty("verdict").GetString().Should().Contain("frames followed only up to where a hole in the capture");
    }

    [Fact]
    public async Task Analyze_PayloadCutBySnapLength_SaysWhereTheFramesStopInsteadOfGuessing()
    {
        var client = new Stream(1001);
        var capture = Handshake();
        var frames = Concat(Preface, H2(6, 0, new byte[8]));
        capture.Add(0.1, true, client.Next, 5001, ".", data: frames[..20], payload: 0);
        var file = capture.Write(Path.Combine(_folder, "cut.pcap"));
        await CutPayloadLengthAsync(file, frames.Length);

        using var result = await AnalyzeResult.RunAsync(file);

        result.ExitCode.Should().Be(0, "a cut payload is not a cut file");
        result.SingleFlow.GetProperty("packets").GetInt32().Should().Be(4);
        result.SingleFlow.GetProperty("http2").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "the preface never showed whole");
    }

    [Theory]
    [InlineData(64, "middlebox", "a middlebox (the RST's TTL 64 differs from the server's 61")]
    [InlineData(61, "server", "the server, or a middlebox as many hops away")]
    public async Task Analyze_ResetAnsweringTheFirstSegmentAfterSilence_NamesWhoSentItFromTheTtl(byte resetTtl, string resetBy, string who)
    {
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.001, false, 5000, 1001, "S.", ttl: 61).Add(0.002, true, 1001, 5001, ".")
            .Add(0.1, true, 1001, 5001, ".", payload: 4).Add(0.101, false, 5001, 1005, ".", ttl: 61)
            .Add(350.2, true, 1005, 5001, ".", payload: 4).Add(350.203, false, 5001, 0, "R", ttl: resetTtl)
            .Write(Path.Combine(_folder, "rst.pcap"));

        using var result = await AnalyzeResult.RunAsync(file, "--idle-timeout", "350s");

        var flow = result.SingleFlow;
        flow.GetProperty("end").GetString().Should().Be("rst");
        flow.GetProperty("resetBy").GetString().Should().Be(resetBy);
        flow.GetProperty("resetAfterIdle").GetDouble().Should().BeApproximately(350.099, 0.001);
        (flow.GetProperty("resetTtl").GetInt32(), flow.GetProperty("peerTtl").GetInt32()).Should().Be((resetTtl, 61));
        flow.GetProperty("verdict").GetString().Should().Contain("forgotten and reset after 5m50s99ms idle, longer than the idle timeout of 5m50s")
            .And.Contain("frame 6, from the client").And.Contain(who);
    }

    [Fact]
    public async Task Analyze_FlowSilentUntilTheCaptureEndsLongerThanTheIdleTimeout_IsAFinding()
    {
        // The client's flow carries 4 bytes at 0.1 s and nothing more while another flow goes on for 400 s: the middlebox
        // with a 350 s idle timeout forgot it, which '--idle-timeout' promises to report ('a flow silent this long is
        // reported as killed'); it read 'ok: still open at the end of the capture', exit 0.
        var other = new System.Net.IPEndPoint(SyntheticCapture.Client.Address, 40001);
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.001, false, 5000, 1001, "S.").Add(0.002, true, 1001, 5001, ".")
            .Add(0.1, true, 1001, 5001, ".", payload: 4).Add(0.101, false, 5001, 1005, ".")
            .Add(200, true, 7000, 9001, ".", payload: 4, client: other).Add(200.001, false, 9001, 7004, ".", client: other)
            .Add(400.1, true, 7004, 9001, ".", payload: 4, client: other).Add(400.101, false, 9001, 7008, ".", client: other)
            .Write(Path.Combine(_folder, "silent-until-the-end.pcap"));

        using var result = await AnalyzeResult.RunAsync(file, "--idle-timeout", "350s");

        result.ExitCode.Should().Be(1, "a flow silent longer than the idle timeout is a finding");
        var flow = result.Root.GetProperty("flows")[0];
        flow.GetProperty("finding").GetBoolean().Should().BeTrue();
        flow.GetProperty("verdict").GetString().Should().Contain("the flow was silent for 6m40s from its last segment (frame 5) to the end of the capture, at least the idle timeout of 5m50s");
        result.Root.GetProperty("flows")[1].GetProperty("finding").GetBoolean().Should().BeFalse("its silences were 200 s");
    }

    [Fact]
    public async Task Analyze_IdleTimeoutGivenAsAPreset_JudgesAsItsDurationAndAMisspeltOneNamesThePresets()
    {
        // show, check and doctor take a preset for the peer's idle timeout and check names one as the likely culprit; analyze
        // refused 'AwsNlb' as "not a duration".
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.001, false, 5000, 1001, "S.", ttl: 61).Add(0.002, true, 1001, 5001, ".")
            .Add(0.1, true, 1001, 5001, ".", payload: 4).Add(0.101, false, 5001, 1005, ".", ttl: 61)
            .Add(350.2, true, 1005, 5001, ".", payload: 4).Add(350.203, false, 5001, 0, "R", ttl: 64)
            .Write(Path.Combine(_folder, "preset.pcap"));

        using var preset = await AnalyzeResult.RunAsync(file, "--idle-timeout", "AwsNlb");
        var (exitCode, _, error) = await ToolRun.InProcessAsync("analyze", file, "--idle-timeout", "AwsNbl");

        preset.SingleFlow.GetProperty("verdict").GetString().Should().Contain("longer than the idle timeout of 5m50s");
        exitCode.Should().Be(2);
        error.Should().StartWith("--idle-timeout: 'AwsNbl' is neither a preset nor a duration.").And.Contain("AwsNlb = 5m50s");
    }

    [Fact]
    public async Task Analyze_ResetAnsweringDataSentWithoutASilence_IsNotBlamedOnAnIdleTimeout()
    {
        // The server's application closed with the request unread (a RST answering data 2 ms after the last traffic): it
        // read 'forgotten and reset after 0.002 s idle ... what a middlebox that resets flows idle longer than its timeout
        // does (as AWS NLB does)'.
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.001, false, 5000, 1001, "S.").Add(0.002, true, 1001, 5001, ".")
            .Add(0.004, true, 1001, 5001, ".", payload: 4).Add(0.005, false, 5001, 0, "R")
            .Write(Path.Combine(_folder, "abort.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var verdict = result.SingleFlow.GetProperty("verdict").GetString();
        verdict.Should().Contain("reset by the server").And.Contain("frame 4").And.NotContainAny("forgotten", "AWS NLB", "idle longer");
    }

    [Fact]
    public async Task Analyze_SynAnsweredWithReset_IsARefusedConnectionNotAFlowForgottenAfterIdle()
    {
        // What 'keepalive check 127.0.0.1:1 --capture' records: it read 'forgotten and reset after 0 s idle: the first
        // segment after that silence (frame 1, from the client) was answered with a RST ... (as AWS NLB does)'.
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.00002, false, 0, 1001, "R.")
            .Write(Path.Combine(_folder, "refused.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);

        var flow = result.SingleFlow;
        flow.GetProperty("end").GetString().Should().Be("rst");
        flow.GetProperty("resetBy").GetString().Should().Be("server");
        flow.GetProperty("resetAfterIdle").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "no connection was made, so nothing was idle");
        flow.GetProperty("verdict").GetString().Should().Contain("connection refused: the server answered the client's SYN (frame 1) with a RST (frame 2)")
            .And.NotContainAny("forgotten", "idle", "AWS NLB");
    }

    [Fact]
    public async Task Analyze_ProbesAnsweredByDataRatherThanKeepAliveAcks_CountsAddUpWithTheVerdict()
    {
        // Two probes: one answered by the peer's data (not an ACK Wireshark would call a keep-alive ACK), one by a plain ACK.
        var file = new SyntheticCapture()
            .Add(0, true, 1000, 0, "S").Add(0.001, false, 5000, 1001, "S.").Add(0.002, true, 1001, 5001, ".")
            .Add(0.1, true, 1001, 5001, ".", payload: 10).Add(0.101, false, 5001, 1011, ".")
            .Add(1.1, true, 1010, 5001, ".").Add(1.101, false, 5001, 1011, ".", payload: 4)
            .Add(2.2, true, 1010, 5005, ".").Add(2.201, false, 5005, 1011, ".")
            .Write(Path.Combine(_folder, "answers.pcap"));

        using var result = await AnalyzeResult.RunAsync(file);
        var (_, text, _) = await ToolRun.InProcessAsync("analyze", file);

        var flow = result.SingleFlow;
        flow.GetProperty("keepAliveProbes").GetInt32().Should().Be(2);
        flow.GetProperty("keepAliveAcks").GetInt32().Should().Be(Tshark.Available ? Tshark.Frames(file, "tcp.analysis.keep_alive_ack").Count : 1);
        flow.GetProperty("answeredProbes").GetInt32().Should().Be(2);
        flow.GetProperty("unansweredProbes").GetInt32().Should().Be(0);
        flow.GetProperty("verdict").GetString().Should().Contain("2 keep-alive probes, 2 answered, 0 unanswered");
        text.Should().MatchRegex(@"│\s*2\s*│\s*2\s*│\s*0\s*│", "the table's probes, answered and unanswered columns agree with the verdict");
    }

    [Fact]
    public void Analyze_CaptureStartedOnAStreamTheServerSends_CostsInProportionToTheCaptureNotToItsSquare()
    {
        // A capture started on an open connection whose server streams (a feed, a download, TLS records) shows no client
        // bytes to tell the protocol by, and every server segment copied all the server had said before: 5 MB took 19 s,
        // 20 MB five minutes, a few hundred megabytes hours. Counted in bytes allocated (this thread, deterministic), not time.
        const int SegmentLength = 1448;
        const int Segments = 2048;
        var payload = new byte[SegmentLength];
        var (client, server) = (SyntheticCapture.Client, SyntheticCapture.Server);
        var segments = new List<TcpSegment>();
        uint seq = 5001;
        for (var i = 0; i < Segments; i++)
        {
            segments.Add(new TcpSegment(segments.Count + 1, i * 0.001, server, client, seq, 1001, TcpFlags.Ack, SegmentLength, 502, 64, payload));
            seq += SegmentLength;
            segments.Add(new TcpSegment(segments.Count + 1, (i * 0.001) + 0.0005, client, server, 1001, seq, TcpFlags.Ack, 0, 502, 64));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var flows = FlowAnalyzer.Analyze(segments, new AnalysisSettings(null, null));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        flows.Should().ContainSingle().Which.Application.Should().BeNull("nothing tells HTTP/2 or a WebSocket on it");
        const long streamed = (long)SegmentLength * Segments;
        allocated.Should().BeLessThan(8 * streamed, "reading {0} bytes of a stream must not copy them over and over (allocated {1})", streamed, allocated);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static SyntheticCapture Handshake() => new SyntheticCapture()
        .Add(0, true, 1000, 0, "S").Add(0.0005, false, 5000, 1001, "S.").Add(0.001, true, 1001, 5001, ".");

    private static byte[] H2(byte type, byte flags, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        (frame[0], frame[1], frame[2], frame[3], frame[4]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] GoAway(uint lastStream, uint error, string? debug)
    {
        var payload = new byte[8 + (debug?.Length ?? 0)];
        BinaryPrimitives.WriteUInt32BigEndian(payload, lastStream);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), error);
        Encoding.ASCII.GetBytes(debug ?? string.Empty).CopyTo(payload, 8);
        return H2(7, 0, payload);
    }

    private static byte[] Ws(byte opcode, byte[] payload, bool masked)
    {
        var key = new byte[] { 0x11, 0x22, 0x33, 0x44 };
        var frame = new List<byte> { (byte)(0x80 | opcode), (byte)((masked ? 0x80 : 0) | payload.Length) };
        if (masked)
        {
            frame.AddRange(key);
        }

        frame.AddRange(payload.Select((b, i) => masked ? (byte)(b ^ key[i % 4]) : b));
        return [.. frame];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(static p => p)];

    /// <summary>Rewrites the last frame's IPv4 total length as if the capture's snap length had cut its payload.</summary>
    private static async Task CutPayloadLengthAsync(string file, int sentPayload)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        var ip = bytes.Length - 20 - 20 - 20; // 20 payload bytes kept, a 20-byte TCP header, a 20-byte IPv4 header
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(ip + 2), (ushort)(20 + 20 + sentPayload));
        await File.WriteAllBytesAsync(file, bytes);
    }

    /// <summary>One side's next sequence number.</summary>
    private sealed class Stream(uint next)
    {
        public uint Next { get; private set; } = next;

        public void Advance(int bytes) => Next += (uint)bytes;
    }
}

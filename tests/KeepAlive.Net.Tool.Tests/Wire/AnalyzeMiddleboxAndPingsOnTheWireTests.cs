using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using KeepAlive.Net.Tests.TestSupport;
using KeepAlive.Net.Tool.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KeepAlive.Net.Tool.Tests.Wire;

/// <summary>
/// <c>analyze</c> on captures of what a network engineer meets: a middlebox that answers the first segment after its
/// idle timeout with a RST (built with nftables in the lab's middle), HTTP/2 PINGs between a .NET client and real
/// Kestrel, a server that refuses the ping rate with GOAWAY too_many_pings, and a WebSocket kept alive with pings.
/// tshark decodes the same captures as the independent judge.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class AnalyzeMiddleboxAndPingsOnTheWireTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("keepalive-wire-app-").FullName;

    [Fact]
    public async Task Analyze_MiddleboxResetsTheFirstSegmentAfterItsIdleTimeout_NamesTheMiddleboxAndTheSilenceBeforeIt()
    {
        using var wire = await WireConnection.OpenAsync(Path.Combine(_folder, "reset.pcap"), clientKeepAlive: null, natIdleTimeoutSeconds: 2);
        wire.Lab.ResetForgottenFlows();
        await wire.Client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await wire.Server.ReceiveAsync(new byte[16], SocketFlags.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await wire.Client.SendAsync("after the idle timeout"u8.ToArray(), SocketFlags.None);
        var failure = await Record.ExceptionAsync(() => wire.Client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)));
        failure.Should().BeOfType<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionReset);

        using var result = await wire.AnalyzeAsync(output, "--idle-timeout", "2s");

        var flow = result.SingleFlow;
        var reset = Tshark.Fields(wire.CapturePath, "tcp.flags.reset == 1", null, "frame.number", "ip.ttl").Should().ContainSingle().Subject;
        var serverTtl = Tshark.Fields(wire.CapturePath, $"ip.src == {RoutedLab.ServerAddress} && tcp.flags.reset == 0", null, "frame.number", "ip.ttl")[0][1];
        output.WriteLine($"RST frame {reset[0]} TTL {reset[1]}; the server's segments TTL {serverTtl}");
        flow.GetProperty("end").GetString().Should().Be("rst");
        flow.GetProperty("endedBy").GetString().Should().Be("server", "the RST carries the server's address");
        flow.GetProperty("resetBy").GetString().Should().Be("middlebox", "its TTL differs from the server's own segments");
        flow.GetProperty("resetTtl").GetInt32().Should().Be(int.Parse(reset[1], CultureInfo.InvariantCulture));
        flow.GetProperty("peerTtl").GetInt32().Should().Be(int.Parse(serverTtl, CultureInfo.InvariantCulture));
        flow.GetProperty("resetAfterIdle").GetDouble().Should().BeInRange(2.9, 4, "the client was silent 3 s before the segment the RST answered");
        flow.GetProperty("verdict").GetString().Should().Contain("forgotten and reset after").And.Contain("longer than the idle timeout of 2s")
            .And.Contain($"frame {reset[0]}").And.Contain("a middlebox (the RST's TTL").And.Contain("AWS NLB");
        result.ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Analyze_H2cBetweenHttpClientAndKestrelWithPings_CountsPingsAndAcksAndTheirCadenceAsTsharkDecodesThem()
    {
        using var wire = await LabCapture.StartAsync(Path.Combine(_folder, "h2c.pcap"));
        await using var app = LabWeb.Build(wire.Lab, HttpProtocols.Http2);
        app.MapGet("/", () => "ok");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var handler = LabWeb.Handler(wire.Lab);
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(5);
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always;
        using (var client = LabWeb.H2cClient(handler))
        {
            (await client.GetStringAsync("/", TestContext.Current.CancellationToken)).Should().Be("ok");
            await Task.Delay(TimeSpan.FromSeconds(5.5), TestContext.Current.CancellationToken);
        }

        await app.StopAsync(TestContext.Current.CancellationToken);

        using var result = await wire.AnalyzeAsync(output);

        var http2 = result.SingleFlow.GetProperty("http2");
        var pings = Http2Pings(wire.Path, ack: false);
        var acks = Http2Pings(wire.Path, ack: true);
        output.WriteLine($"tshark: PINGs at {string.Join(", ", pings)}; ACKs at {string.Join(", ", acks)}");
        pings.Should().HaveCountGreaterThanOrEqualTo(2, "5.5 s idle with a 1 s ping delay (SocketsHttpHandler checks it on a 1 s timer)");
        http2.GetProperty("pingsFromClient").GetInt32().Should().Be(pings.Count);
        http2.GetProperty("pingAcksFromServer").GetInt32().Should().Be(acks.Count).And.Be(pings.Count, "Kestrel answers every PING");
        http2.GetProperty("pingsFromServer").GetInt32().Should().Be(0);
        http2.GetProperty("clientPingInterval").GetDouble().Should().BeApproximately(Median(pings), 0.001);
        result.SingleFlow.GetProperty("verdict").GetString().Should().Contain("HTTP/2 (cleartext): ").And.Contain($"{pings.Count} PINGs from the client every");
    }

    [Fact]
    public async Task Analyze_H2cServerRefusingThePingRate_ReportsGoAwayEnhanceYourCalmTooManyPings()
    {
        using var wire = await LabCapture.StartAsync(Path.Combine(_folder, "goaway.pcap"));
        using var listener = wire.Lab.Listen();
        using var server = new PingRefusingH2cServer(listener, allowedPings: 2);
        var serving = server.ServeOneAsync();
        var handler = LabWeb.Handler(wire.Lab);
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always;
        using (var client = LabWeb.H2cClient(handler))
        {
            var request = await Record.ExceptionAsync(() => client.GetAsync("/", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20)));
            output.WriteLine($"the request ended with: {request?.GetType().Name}: {request?.Message}");
        }

        (await serving.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(3);

        using var result = await wire.AnalyzeAsync(output);

        // HttpClient retries the refused request on a new connection, which nobody serves: the first flow is the one.
        var flow = result.Flows[0];
        var goAway = flow.GetProperty("http2").GetProperty("goAways").EnumerateArray().Should().ContainSingle().Subject;
        var judged = Tshark.Fields(wire.Path, "http2.type == 7", "tcp.port==47001,http2", "frame.number", "http2.goaway.error").Should().ContainSingle().Subject;
        goAway.GetProperty("from").GetString().Should().Be("server");
        goAway.GetProperty("frame").GetInt64().Should().Be(long.Parse(judged[0], CultureInfo.InvariantCulture));
        goAway.GetProperty("errorCode").GetInt32().Should().Be(0xb).And.Be(Number(judged[1]));
        goAway.GetProperty("error").GetString().Should().Be("ENHANCE_YOUR_CALM");
        goAway.GetProperty("debug").GetString().Should().Be("too_many_pings");
        flow.GetProperty("http2").GetProperty("pingsFromClient").GetInt32().Should().Be(3);
        flow.GetProperty("http2").GetProperty("pingAcksFromServer").GetInt32().Should().Be(2);
        flow.GetProperty("finding").GetBoolean().Should().BeTrue();
        flow.GetProperty("verdict").GetString().Should().Contain("GOAWAY from the server").And.Contain("ENHANCE_YOUR_CALM (0xb) 'too_many_pings'").And.Contain("ping less often");
        result.ExitCode.Should().Be(1, "a server refusing the ping rate is a finding");
    }

    [Fact]
    public async Task Analyze_WebSocketKeptAliveWithPings_CountsPingsAndPongsPerSideAndTheClose()
    {
        using var wire = await LabCapture.StartAsync(Path.Combine(_folder, "websocket.pcap"));
        await using var app = LabWeb.Build(wire.Lab, HttpProtocols.Http1);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(1), KeepAliveTimeout = TimeSpan.FromSeconds(5) });
        app.Map("/ws", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var received = await socket.ReceiveAsync(new byte[64], context.RequestAborted);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        using (var invoker = new HttpMessageInvoker(LabWeb.Handler(wire.Lab)))
        using (var client = new ClientWebSocket())
        {
            client.Options.KeepAliveInterval = TimeSpan.FromSeconds(1);
            client.Options.KeepAliveTimeout = TimeSpan.FromSeconds(5);
            await client.ConnectAsync(new Uri($"ws://{RoutedLab.ServerEndPoint}/ws"), invoker, TestContext.Current.CancellationToken);
            var receiving = client.ReceiveAsync(new byte[64], CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(4.5), TestContext.Current.CancellationToken);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken);
            await receiving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        await app.StopAsync(TestContext.Current.CancellationToken);

        using var result = await wire.AnalyzeAsync(output);

        var webSocket = result.SingleFlow.GetProperty("webSocket");
        var opcodes = Tshark.Fields(wire.Path, "websocket", "tcp.port==47001,http", "frame.number", "websocket.opcode", "ip.src")
            .SelectMany(static row => row[1].Split(',').Select(code => (Opcode: Number(code), FromClient: row[2] == RoutedLab.ClientAddress.ToString()))).ToList();
        output.WriteLine("tshark opcodes: " + string.Join(" ", opcodes));
        int Count(int opcode, bool fromClient) => opcodes.Count(o => o.Opcode == opcode && o.FromClient == fromClient);
        // A managed WebSocket pings only when its interval passed without a frame from the peer, so the two sides' pings
        // interleave, or one side's pings keep the other from ever pinging (seen once: the server pinged first every time).
        (Count(0x9, fromClient: true) + Count(0x9, fromClient: false)).Should().BeGreaterThanOrEqualTo(3, "4.5 s with a ping every second");
        webSocket.GetProperty("pingsFromClient").GetInt32().Should().Be(Count(0x9, true));
        webSocket.GetProperty("pingsFromServer").GetInt32().Should().Be(Count(0x9, false));
        webSocket.GetProperty("pongsFromServer").GetInt32().Should().Be(Count(0xA, false));
        webSocket.GetProperty("pongsFromClient").GetInt32().Should().Be(Count(0xA, true));
        var closes = webSocket.GetProperty("closes").EnumerateArray().ToList();
        closes.Should().Contain(c => c.GetProperty("from").GetString() == "client" && c.GetProperty("code").GetInt32() == 1000 && c.GetProperty("reason").GetString() == "done");
        var verdict = result.SingleFlow.GetProperty("verdict").GetString();
        verdict.Should().Contain("WebSocket: ").And.Contain("close from the client").And.Contain("code 1000 'done'");
        foreach (var (side, other, fromClient) in new[] { ("client", "server", true), ("server", "client", false) })
        {
            if (Count(0x9, fromClient) is var pings and > 0)
            {
                verdict.Should().Contain($"{pings} ping{(pings == 1 ? string.Empty : "s")} from the {side}").And.Contain($"answered with a pong by the {other}");
            }
        }

        result.SingleFlow.GetProperty("finding").GetBoolean().Should().BeFalse(result.SingleFlow.GetProperty("verdict").GetString());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The times of HTTP/2 PINGs (or their ACKs) as tshark decodes them, one per frame even when a packet holds several.</summary>
    private static List<double> Http2Pings(string capture, bool ack) =>
        [.. Tshark.Fields(capture, "http2.type == 6", "tcp.port==47001,http2", "frame.number", "frame.time_relative", "http2.type", "http2.flags")
            .SelectMany(static row => row[2].Split(',').Zip(row[3].Split(','), (type, flags) => (Time: double.Parse(row[1], CultureInfo.InvariantCulture), Type: type, Flags: Number(flags))))
            .Where(f => f.Type == "6" && ((f.Flags & 1) != 0) == ack)
            .Select(static f => f.Time)];

    /// <summary>A number as tshark prints a field: decimal, or hexadecimal with 0x.</summary>
    private static int Number(string text) =>
        text.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt32(text[2..], 16) : int.Parse(text, CultureInfo.InvariantCulture);

    private static double Median(List<double> times)
    {
        var gaps = times.Zip(times.Skip(1), static (a, b) => b - a).Order().ToList();
        return gaps.Count % 2 == 1 ? gaps[gaps.Count / 2] : (gaps[(gaps.Count / 2) - 1] + gaps[gaps.Count / 2]) / 2;
    }
}

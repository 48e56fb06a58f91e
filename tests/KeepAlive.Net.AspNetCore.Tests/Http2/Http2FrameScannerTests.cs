using System.Buffers;
using KeepAlive.Net.AspNetCore.Http2;

namespace KeepAlive.Net.AspNetCore.Tests.Http2;

public sealed class Http2FrameScannerTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(100)]
    public void Scan_ClientBytesInPiecesOfAnySize_ReportsEveryFrameOnceWithItsPingPayload(int pieceSize)
    {
        var bytes = Preface
            .Concat(Frame(4, 0, 0, new byte[18]))                     // SETTINGS
            .Concat(Frame(1, 0x5, 1, new byte[30]))                   // HEADERS, END_STREAM | END_HEADERS
            .Concat(Frame(0, 0x1, 3, new byte[16_384]))               // DATA, END_STREAM, a large payload
            .Concat(Frame(6, 0x1, 0, "KA-GOAWY"u8.ToArray()))         // PING ACK
            .Concat(Frame(3, 0, 5, new byte[4]))                      // RST_STREAM
            .Concat(Frame(8, 0, 0, []))                               // an empty frame
            .ToArray();
        var observer = new Recorder();
        var scanner = new Http2FrameScanner(observer, clientDirection: true);

        for (var offset = 0; offset < bytes.Length; offset += pieceSize)
        {
            scanner.Scan(bytes.AsSpan(offset, Math.Min(pieceSize, bytes.Length - offset)));
        }

        observer.Detected.Should().Equal(true);
        observer.Frames.Should().Equal(
            (4, 0, 0, ""), (1, 5, 1, ""), (0, 1, 3, ""), (6, 1, 0, "KA-GOAWY"), (3, 0, 5, ""), (8, 0, 0, ""));
        scanner.AtFrameBoundary.Should().BeTrue();
    }

    [Fact]
    public void Scan_HalfAFrame_IsNotAtAFrameBoundaryUntilItEnds()
    {
        var frame = Frame(0, 0, 1, new byte[20]);
        var scanner = new Http2FrameScanner(new Recorder(), clientDirection: false);

        scanner.AtFrameBoundary.Should().BeTrue("the server's direction starts at a frame boundary");
        scanner.Scan(frame.AsSpan(0, 5));
        scanner.AtFrameBoundary.Should().BeFalse("inside a header");
        scanner.Scan(frame.AsSpan(5, 10));
        scanner.AtFrameBoundary.Should().BeFalse("inside a payload");
        scanner.Scan(frame.AsSpan(15));
        scanner.AtFrameBoundary.Should().BeTrue();
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000")] // a TLS ClientHello record
    [InlineData("PRI * HTTP/1.1")]
    public void Scan_ClientBytesThatAreNotTheHttp2Preface_StopsLookingAndReportsNoFrame(string start)
    {
        var observer = new Recorder();
        var scanner = new Http2FrameScanner(observer, clientDirection: true);

        scanner.Scan(new ReadOnlySequence<byte>(System.Text.Encoding.Latin1.GetBytes(start)));
        scanner.Scan(Frame(6, 1, 0, "KA-GOAWY"u8.ToArray()));

        scanner.State.Should().Be(Http2ScanState.NotHttp2);
        observer.Detected.Should().Equal(false);
        observer.Frames.Should().BeEmpty();
        scanner.AtFrameBoundary.Should().BeFalse("nothing may ever be written into a stream that is not HTTP/2");
    }

    [Fact]
    public void Scan_PrefaceInTwoPieces_DetectsOnlyOnceComplete()
    {
        var observer = new Recorder();
        var scanner = new Http2FrameScanner(observer, clientDirection: true);

        scanner.Scan(Preface.AsSpan(0, 10));
        scanner.State.Should().Be(Http2ScanState.Detecting);
        observer.Detected.Should().BeEmpty();
        scanner.Scan(Preface.AsSpan(10));
        scanner.State.Should().Be(Http2ScanState.Http2);
        observer.Detected.Should().Equal(true);
    }

    internal static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        (frame[0], frame[1], frame[2], frame[3], frame[4]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags);
        (frame[5], frame[6], frame[7], frame[8]) = ((byte)(streamId >> 24), (byte)(streamId >> 16), (byte)(streamId >> 8), (byte)streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private sealed class Recorder : IHttp2FrameObserver
    {
        public List<bool> Detected { get; } = [];

        public List<(int Type, int Flags, int StreamId, string Ping)> Frames { get; } = [];

        public void OnProtocolDetected(bool http2) => Detected.Add(http2);

        public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload) =>
            Frames.Add((type, flags, streamId, System.Text.Encoding.ASCII.GetString(pingPayload)));
    }
}

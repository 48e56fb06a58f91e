using System.Buffers;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// Follows the HTTP/2 frames of one direction of a connection through bytes that arrive in arbitrary pieces, without
/// copying them: it reads each 9-byte frame header, reports the frame, and skips its payload (a PING's 8 bytes are kept,
/// to recognise the acknowledgement of our own PING). The client direction starts with the connection preface
/// (RFC 9113 §3.4); bytes that are not the preface mean the connection does not speak HTTP/2 in the clear here
/// (HTTP/1.1, or TLS records when the middleware sits outside TLS), and the scanner stops looking.
/// </summary>
internal sealed class Http2FrameScanner
{
    public const byte DataFrame = 0x0;
    public const byte HeadersFrame = 0x1;
    public const byte RstStreamFrame = 0x3;
    public const byte PingFrame = 0x6;
    public const byte GoAwayFrame = 0x7;
    public const byte EndStreamFlag = 0x1;
    public const byte AckFlag = 0x1;
    private const int HeaderLength = 9;
    private const int PingLength = 8;

    private readonly IHttp2FrameObserver _observer;
    private readonly byte[] _header = new byte[HeaderLength];
    private readonly byte[] _ping = new byte[PingLength];
    private int _prefaceMatched;
    private int _headerFilled;
    private int _payloadRemaining;
    private int _pingFilled;
    private bool _capturingPing;

    /// <summary>Creates a scanner.</summary>
    /// <param name="observer">Told of each frame.</param>
    /// <param name="clientDirection">The client's bytes, which start with the connection preface; else the server's frames from the first byte.</param>
    public Http2FrameScanner(IHttp2FrameObserver observer, bool clientDirection)
    {
        _observer = observer;
        _prefaceMatched = clientDirection ? 0 : Preface.Length;
        State = clientDirection ? Http2ScanState.Detecting : Http2ScanState.Http2;
    }

    /// <summary>Gets whether the bytes are HTTP/2 frames, not yet known, or something else.</summary>
    public Http2ScanState State { get; private set; }

    /// <summary>Gets whether the bytes scanned so far end exactly where a frame ends: a frame of our own may be written here.</summary>
    public bool AtFrameBoundary => State == Http2ScanState.Http2 && _headerFilled == 0 && _payloadRemaining == 0;

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public void Scan(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            if (State == Http2ScanState.NotHttp2)
            {
                return;
            }

            Scan(segment.Span);
        }
    }

    public void Scan(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && State != Http2ScanState.NotHttp2)
        {
            if (_prefaceMatched < Preface.Length)
            {
                bytes = MatchPreface(bytes);
            }
            else if (_payloadRemaining > 0)
            {
                bytes = SkipPayload(bytes);
            }
            else
            {
                bytes = ReadHeader(bytes);
            }
        }
    }

    private ReadOnlySpan<byte> MatchPreface(ReadOnlySpan<byte> bytes)
    {
        var count = Math.Min(bytes.Length, Preface.Length - _prefaceMatched);
        if (!bytes[..count].SequenceEqual(Preface.Slice(_prefaceMatched, count)))
        {
            State = Http2ScanState.NotHttp2;
            _observer.OnProtocolDetected(http2: false);
            return default;
        }

        _prefaceMatched += count;
        if (_prefaceMatched == Preface.Length)
        {
            State = Http2ScanState.Http2;
            _observer.OnProtocolDetected(http2: true);
        }

        return bytes[count..];
    }

    private ReadOnlySpan<byte> ReadHeader(ReadOnlySpan<byte> bytes)
    {
        var count = Math.Min(bytes.Length, HeaderLength - _headerFilled);
        bytes[..count].CopyTo(_header.AsSpan(_headerFilled));
        _headerFilled += count;
        if (_headerFilled == HeaderLength)
        {
            _headerFilled = 0;
            _payloadRemaining = (_header[0] << 16) | (_header[1] << 8) | _header[2];
            _capturingPing = _header[3] == PingFrame && _payloadRemaining == PingLength;
            _pingFilled = 0;
            if (!_capturingPing)
            {
                Report(ReadOnlySpan<byte>.Empty);
            }
        }

        return bytes[count..];
    }

    private ReadOnlySpan<byte> SkipPayload(ReadOnlySpan<byte> bytes)
    {
        var count = Math.Min(bytes.Length, _payloadRemaining);
        if (_capturingPing)
        {
            bytes[..count].CopyTo(_ping.AsSpan(_pingFilled));
            _pingFilled += count;
        }

        _payloadRemaining -= count;
        if (_payloadRemaining == 0 && _capturingPing)
        {
            _capturingPing = false;
            Report(_ping);
        }

        return bytes[count..];
    }

    private void Report(ReadOnlySpan<byte> pingPayload)
    {
        var streamId = ((_header[5] & 0x7F) << 24) | (_header[6] << 16) | (_header[7] << 8) | _header[8];
        _observer.OnFrame(_header[3], _header[4], streamId, pingPayload);
    }
}

using System.Text;

namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// What a flow carries above TCP, where the capture shows it in clear: HTTP/2 with prior knowledge (the client preface
/// "PRI * HTTP/2.0"), HTTP/2 upgraded from HTTP/1.1 (<c>Upgrade: h2c</c>, <c>101</c>) or a WebSocket
/// (<c>Upgrade: websocket</c>, <c>101</c>). Their keep-alive and shutdown frames are read; anything else (TLS, plain
/// HTTP/1.1, other protocols) is left alone.
/// </summary>
internal sealed class ApplicationLayer
{
    public const string Http2 = "http2";
    public const string WebSocket = "websocket";
    private const int MaxHead = 16 * 1024;
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly byte[] HeadersEnd = "\r\n\r\n"u8.ToArray();
    private readonly DirectionStream _fromClient = new();
    private readonly DirectionStream _fromServer = new();
    private readonly Head _clientHead = new();
    private readonly Head _serverHead = new();
    private FrameReader? _clientReader;
    private FrameReader? _serverReader;
    private string? _upgrade;
    private bool _other;

    /// <summary><see cref="Http2"/>, <see cref="WebSocket"/>, or <see langword="null"/> when the flow carries neither in clear.</summary>
    public string? Protocol { get; private set; }

    /// <summary>Why the frames could not be followed to the end of the capture, or <see langword="null"/>.</summary>
    public string? Broken => _fromClient.Broken ?? _fromServer.Broken;

    public IEnumerable<ControlFrame> Frames =>
        (_clientReader?.Frames ?? []).Concat(_serverReader?.Frames ?? []).OrderBy(static f => f.At).ThenBy(static f => f.Frame);

    public void Add(TcpSegment segment, bool fromClient)
    {
        foreach (var (bytes, from) in (fromClient ? _fromClient : _fromServer).Add(segment))
        {
            var reader = fromClient ? _clientReader : _serverReader;
            if (reader is not null)
            {
                reader.Feed(bytes.Span, from);
            }
            else if (!_other)
            {
                (fromClient ? _clientHead : _serverHead).Add(bytes, from);
                Detect();
            }
        }
    }

    /// <summary>Ends the flow: a hole the capture never filled breaks the frames behind it (<see cref="Broken"/>).</summary>
    public void Finish()
    {
        _fromClient.Finish();
        _fromServer.Finish();
    }

    private void Detect()
    {
        var client = _clientHead.Bytes;
        var server = _serverHead.Bytes;
        if (server.Length > MaxHead && (_upgrade is null || server.AsSpan().IndexOf(HeadersEnd) < 0))
        {
            // The server said more than a head's worth with no protocol known: no answer to an upgrade, no HTTP/2 the client
            // opened (a capture started on a stream the server sends, a protocol whose server speaks first). Kept, every
            // segment would copy all it said before (hours for a capture of a few hundred megabytes).
            _other = true;
            return;
        }

        if (Protocol is null && _upgrade is null)
        {
            var compared = Math.Min(client.Length, Preface.Length);
            if (client.AsSpan(0, compared).SequenceEqual(Preface.AsSpan(0, compared)))
            {
                if (client.Length >= Preface.Length)
                {
                    Start(Http2, clientFrom: 0, serverFrom: 0, clientSkip: Preface.Length);
                }

                return;
            }

            if (client.AsSpan().IndexOf(HeadersEnd) is var end and >= 0)
            {
                _upgrade = Upgrade(Encoding.ASCII.GetString(client, 0, end));
                _clientHead.HeadersEnd = end + HeadersEnd.Length;
                _other = _upgrade is null;
            }
            else
            {
                _other = client.Length > MaxHead;
            }
        }

        if (_upgrade is not null && server.AsSpan().IndexOf(HeadersEnd) is var responseEnd and >= 0)
        {
            var response = Encoding.ASCII.GetString(server, 0, responseEnd);
            if (response.StartsWith("HTTP/1.1 101", StringComparison.Ordinal) || response.StartsWith("HTTP/1.0 101", StringComparison.Ordinal))
            {
                Start(_upgrade, _clientHead.HeadersEnd, responseEnd + HeadersEnd.Length, clientSkip: _upgrade == Http2 ? Preface.Length : 0);
            }
            else
            {
                _other = true;
            }
        }
    }

    /// <summary>The protocol an HTTP/1.1 request asks to switch to, or <see langword="null"/>.</summary>
    private static string? Upgrade(string request)
    {
        foreach (var line in request.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                var value = line[(colon + 1)..].Trim();
                return value.Equals("websocket", StringComparison.OrdinalIgnoreCase) ? WebSocket
                    : value.Equals("h2c", StringComparison.OrdinalIgnoreCase) ? Http2
                    : null;
            }
        }

        return null;
    }

    private void Start(string protocol, int clientFrom, int serverFrom, int clientSkip)
    {
        Protocol = protocol;
        FrameReader client = protocol == Http2 ? new Http2FrameReader(fromClient: true) : new WebSocketFrameReader(fromClient: true);
        FrameReader server = protocol == Http2 ? new Http2FrameReader(fromClient: false) : new WebSocketFrameReader(fromClient: false);
        client.Skip(clientSkip);
        _clientHead.Replay(clientFrom, client);
        _serverHead.Replay(serverFrom, server);
        (_clientReader, _serverReader) = (client, server);
    }

    /// <summary>The first bytes of a direction, kept with their segments until the protocol is known.</summary>
    private sealed class Head
    {
        private readonly List<(ReadOnlyMemory<byte> Bytes, TcpSegment From)> _chunks = [];

        public byte[] Bytes { get; private set; } = [];

        public int HeadersEnd { get; set; }

        public void Add(ReadOnlyMemory<byte> bytes, TcpSegment from)
        {
            _chunks.Add((bytes, from));
            Bytes = [.. Bytes, .. bytes.Span];
        }

        /// <summary>Feeds everything from byte <paramref name="offset"/> on to the reader, then forgets it.</summary>
        public void Replay(int offset, FrameReader reader)
        {
            foreach (var (bytes, from) in _chunks)
            {
                var skip = Math.Min(offset, bytes.Length);
                offset -= skip;
                reader.Feed(bytes.Span[skip..], from);
            }

            _chunks.Clear();
            Bytes = [];
        }
    }
}

using System.Buffers.Binary;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// Retires one HTTP/2 connection the way RFC 9113 §6.8 asks, around Kestrel's own GOAWAY, so no request is lost:
/// <list type="number">
/// <item>a GOAWAY with the highest stream id (2^31-1) and a PING of ours: the client stops opening streams here;</item>
/// <item>the PING's acknowledgement: a round trip later, so every stream the client opened before it saw the GOAWAY has
/// arrived (the client acknowledges the PING after processing the GOAWAY, and TCP keeps the order);</item>
/// <item>every such stream ended on the wire (its END_STREAM or RST_STREAM passed through), so no response is still on
/// its way to the socket;</item>
/// <item>only then Kestrel is asked to close (<c>RequestClose</c>): with no stream active it sends its GOAWAY with the
/// real last stream id and ends the connection at once.</item>
/// </list>
/// Why not ask Kestrel straight away: Kestrel counts a stream as done before it writes the stream's last frame, and on a
/// graceful close it stops its frame writer as soon as the count reaches zero, so the last response of a busy connection
/// could be dropped (the client then fails with "The HTTP/2 server closed the connection. HTTP/2 error code 'NO_ERROR'");
/// and with no stream active it sends its final GOAWAY without a round trip, racing streams already in flight.
/// </summary>
internal sealed class Http2GracefulShutdown
{
    /// <summary>The 8 bytes of our PING, recognisable in a capture.</summary>
    public static ReadOnlySpan<byte> PingPayload => "KA-GOAWY"u8;

    private static readonly byte[] GoAwayAndPing = BuildFrames();
    private readonly Lock _lock = new();
    private readonly HashSet<int> _open = [];
    private readonly ServerFrames _serverFrames;
    private Http2ObservingWriter? _writer;
    private int _highestStreamId;
    private Http2ShutdownPhase _phase;
    private Action? _requestClose;
    private ITimer? _roundTripTimer;
    private bool _ended;

    public Http2GracefulShutdown() => _serverFrames = new ServerFrames(this);

    /// <summary>Gets whether the connection speaks HTTP/2 and its frames are followed.</summary>
    public bool IsHttp2
    {
        get
        {
            lock (_lock)
            {
                return _writer is not null;
            }
        }
    }

    /// <summary>Gets how far the shutdown went.</summary>
    public Http2ShutdownPhase Phase
    {
        get
        {
            lock (_lock)
            {
                return _phase;
            }
        }
    }

    /// <summary>Follows the frames of the transport whose client bytes turned out to be HTTP/2 (the first one only).</summary>
    public bool TryAttach(Http2ObservingWriter writer)
    {
        lock (_lock)
        {
            if (_writer is not null || !writer.StartScanning(_serverFrames))
            {
                return false;
            }

            _writer = writer;
            return true;
        }
    }

    /// <summary>
    /// Starts the shutdown: GOAWAY and PING now, <paramref name="requestClose"/> once the round trip is over and the
    /// streams opened before it have ended. Returns <see langword="false"/> when the connection's HTTP/2 frames are not
    /// followed (HTTP/1.1, or TLS outside our view), so the caller asks Kestrel directly.
    /// </summary>
    /// <param name="requestClose">Asks Kestrel to close the connection; called once, on the thread pool.</param>
    /// <param name="roundTripLimit">How long to wait for the PING's acknowledgement before going on without it.</param>
    /// <param name="timeProvider">The clock for that limit.</param>
    public bool TryBegin(Action requestClose, TimeSpan roundTripLimit, TimeProvider timeProvider)
    {
        Http2ObservingWriter writer;
        lock (_lock)
        {
            if (_writer is null || _phase != Http2ShutdownPhase.Serving || _ended)
            {
                return false;
            }

            writer = _writer;
            _phase = Http2ShutdownPhase.AwaitingPingAck;
            _requestClose = requestClose;
            _roundTripTimer = timeProvider.CreateTimer(static s => ((Http2GracefulShutdown)s!).RoundTripOver(), this, roundTripLimit, Timeout.InfiniteTimeSpan);
        }

        writer.Inject(GoAwayAndPing);
        return true;
    }

    /// <summary>
    /// The connection ended: the round-trip timer stops and Kestrel is no longer asked to close it (the connection may end
    /// while the PING's acknowledgement is awaited, and the timer then asked a finished connection to close).
    /// </summary>
    public void ConnectionEnded()
    {
        lock (_lock)
        {
            _ended = true;
            _requestClose = null;
            _roundTripTimer?.Dispose();
            _roundTripTimer = null;
        }
    }

    /// <summary>A frame from the client.</summary>
    public void OnClientFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload)
    {
        switch (type)
        {
            case Http2FrameScanner.HeadersFrame:
                lock (_lock)
                {
                    if (streamId > _highestStreamId)
                    {
                        _highestStreamId = streamId;
                        _open.Add(streamId);
                    }
                }

                break;
            case Http2FrameScanner.RstStreamFrame:
                StreamEnded(streamId);
                break;
            case Http2FrameScanner.PingFrame when (flags & Http2FrameScanner.AckFlag) != 0 && pingPayload.SequenceEqual(PingPayload):
                RoundTripOver();
                break;
        }
    }

    private static byte[] BuildFrames()
    {
        var frames = new byte[(9 + 8) * 2];
        WriteHeader(frames, length: 8, Http2FrameScanner.GoAwayFrame, flags: 0);
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(9), int.MaxValue); // last stream id: every stream may still be processed
        BinaryPrimitives.WriteInt32BigEndian(frames.AsSpan(13), 0); // NO_ERROR
        WriteHeader(frames.AsSpan(17), length: 8, Http2FrameScanner.PingFrame, flags: 0);
        PingPayload.CopyTo(frames.AsSpan(26));
        return frames;
    }

    private static void WriteHeader(Span<byte> frame, int length, byte type, byte flags)
    {
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame[5..], 0); // stream 0: the connection
    }

    private void RoundTripOver()
    {
        lock (_lock)
        {
            if (_phase != Http2ShutdownPhase.AwaitingPingAck)
            {
                return;
            }

            _phase = Http2ShutdownPhase.Draining;
            _roundTripTimer?.Dispose();
            _roundTripTimer = null;
        }

        CloseIfDrained();
    }

    private void StreamEnded(int streamId)
    {
        lock (_lock)
        {
            if (!_open.Remove(streamId) || _phase != Http2ShutdownPhase.Draining)
            {
                return;
            }
        }

        CloseIfDrained();
    }

    private void CloseIfDrained()
    {
        Action? requestClose;
        lock (_lock)
        {
            if (_phase != Http2ShutdownPhase.Draining || _open.Count > 0)
            {
                return;
            }

            _phase = Http2ShutdownPhase.Closing;
            requestClose = _requestClose;
            _requestClose = null;
        }

        // Never from inside Kestrel's frame writer (this may run there): Kestrel's close callbacks run synchronously.
        if (requestClose is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static close => close(), requestClose, preferLocal: false);
        }
    }

    /// <summary>The server's frames: a stream ends when its END_STREAM or RST_STREAM has been written.</summary>
    private sealed class ServerFrames(Http2GracefulShutdown shutdown) : IHttp2FrameObserver
    {
        public void OnProtocolDetected(bool http2)
        {
        }

        public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload)
        {
            if (type == Http2FrameScanner.RstStreamFrame
                || (type is Http2FrameScanner.DataFrame or Http2FrameScanner.HeadersFrame && (flags & Http2FrameScanner.EndStreamFlag) != 0))
            {
                shutdown.StreamEnded(streamId);
            }
        }
    }
}

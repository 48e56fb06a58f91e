namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>Told by an <see cref="Http2FrameScanner"/> what it finds.</summary>
internal interface IHttp2FrameObserver
{
    /// <summary>The client direction started with the HTTP/2 preface, or with something else.</summary>
    void OnProtocolDetected(bool http2);

    /// <summary>A frame header was read (for a PING, once its 8-byte payload was read too).</summary>
    void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload);
}

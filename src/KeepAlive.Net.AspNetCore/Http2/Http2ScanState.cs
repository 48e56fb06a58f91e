namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>What a <see cref="Http2FrameScanner"/> knows of the bytes it scans.</summary>
internal enum Http2ScanState
{
    /// <summary>Not enough bytes yet to tell.</summary>
    Detecting,

    /// <summary>HTTP/2 frames in the clear.</summary>
    Http2,

    /// <summary>Not HTTP/2 in the clear (HTTP/1.1, or TLS records): nothing to follow.</summary>
    NotHttp2,
}

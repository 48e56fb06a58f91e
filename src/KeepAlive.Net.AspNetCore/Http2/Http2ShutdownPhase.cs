namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>How far the graceful shutdown of one HTTP/2 connection went (<see cref="Http2GracefulShutdown"/>).</summary>
internal enum Http2ShutdownPhase
{
    /// <summary>Not retiring.</summary>
    Serving,

    /// <summary>GOAWAY and PING sent; waiting a round trip for the PING's acknowledgement.</summary>
    AwaitingPingAck,

    /// <summary>The round trip is over; waiting for the streams opened before it to end.</summary>
    Draining,

    /// <summary>Kestrel was asked to close the connection.</summary>
    Closing,
}

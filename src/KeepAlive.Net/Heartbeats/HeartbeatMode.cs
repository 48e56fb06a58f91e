namespace KeepAlive.Net;

/// <summary>When a registration sends its heartbeat.</summary>
public enum HeartbeatMode
{
    /// <summary>
    /// Send only after the connection was idle for the interval: every
    /// <see cref="HeartbeatRegistration.MarkActivity"/> postpones the next heartbeat, as TCP keep-alive does.
    /// </summary>
    WhenIdle = 0,

    /// <summary>Send every interval, whatever else the connection carries.</summary>
    FixedRate = 1,
}

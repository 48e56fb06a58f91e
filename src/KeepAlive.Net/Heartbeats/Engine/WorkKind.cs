namespace KeepAlive.Net.Heartbeats;

/// <summary>The kinds of <see cref="WorkItem"/>: everything that runs user code or logs is done by a dispatcher, never by the timer thread.</summary>
internal enum WorkKind : byte
{
    /// <summary>Send a heartbeat.</summary>
    Beat,

    /// <summary>Declare the peer dead (liveness timeout).</summary>
    PeerDead,

    /// <summary>Report a send that runs past its blocked threshold.</summary>
    Blocked,
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>What the timer loop claimed for a scheduler thread to run, inline in its batch (or on a helping standby).</summary>
internal enum WorkKind : byte
{
    /// <summary>Send a heartbeat.</summary>
    Beat,

    /// <summary>Declare the peer dead (liveness timeout).</summary>
    PeerDead,

    /// <summary>Report a send that runs past its blocked threshold.</summary>
    Blocked,
}

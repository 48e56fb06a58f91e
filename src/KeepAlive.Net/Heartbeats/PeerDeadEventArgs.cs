namespace KeepAlive.Net;

/// <summary>
/// The peer of a registration is considered dead: it was silent for longer than <see cref="HeartbeatOptions.Timeout"/>, or a
/// heartbeat's send failed for good (the connection reset or closed, the socket or pipe disposed), with or without a
/// timeout. <see cref="Reason"/> says which.
/// </summary>
public sealed class PeerDeadEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="PeerDeadEventArgs"/> class.</summary>
    /// <param name="registration">The registration whose peer is considered dead.</param>
    /// <param name="silentFor">How long the peer has been silent.</param>
    /// <param name="timeout">The configured timeout.</param>
    /// <param name="reason">A readable explanation.</param>
    public PeerDeadEventArgs(HeartbeatRegistration registration, TimeSpan silentFor, TimeSpan timeout, string reason)
    {
        Registration = registration;
        SilentFor = silentFor;
        Timeout = timeout;
        Reason = reason;
    }

    /// <summary>Gets the registration whose peer is considered dead; close or reconnect its connection.</summary>
    public HeartbeatRegistration Registration { get; }

    /// <summary>Gets the registration's name, or an empty string.</summary>
    public string Name => Registration.Name;

    /// <summary>
    /// Gets how long nothing was heard from the peer, as <see cref="Timeout"/> judged it: the time since the last
    /// <see cref="HeartbeatRegistration.MarkPeerActivity"/> or the registration. When the spread
    /// (<see cref="HeartbeatOptions.Spread"/>) placed the first heartbeat later, the silence before it counts from that much
    /// later too (the peer cannot answer a heartbeat not yet sent), so a peer silent since registration was silent up to the
    /// spread longer than this. Likewise a pause of this process (a long GC, a stopped or frozen process) that outlasted the
    /// deadline is not counted as the peer's silence: the deadline is judged again after the pause (docs/HEARTBEATS.md).
    /// </summary>
    public TimeSpan SilentFor { get; }

    /// <summary>Gets the configured <see cref="HeartbeatOptions.Timeout"/>; <see cref="TimeSpan.Zero"/> when none is set (a send that failed for good).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Gets a readable explanation, for logs and for the reason of a close.</summary>
    public string Reason { get; }
}

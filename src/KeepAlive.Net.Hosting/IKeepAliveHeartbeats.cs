using System.Net.Sockets;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// One call for a heartbeat from a named profile in a hosted app: applies the profile's <c>Tcp</c> keep-alive to the
/// socket and registers its <c>Heartbeat</c> with the host's <see cref="IHeartbeatScheduler"/>. Inject it where a
/// connection is opened; it is registered by <c>services.AddKeepAlive(...)</c>.
/// </summary>
public interface IKeepAliveHeartbeats
{
    /// <summary>
    /// Applies the profile's TCP keep-alive to a connected socket and sends <paramref name="payload"/> on it at the
    /// profile's heartbeat interval, from the scheduler's own threads, with the profile's values at the time of the call.
    /// </summary>
    /// <param name="socket">
    /// A connected TCP socket; or a connected Unix-domain stream socket with a profile whose <c>Tcp:Enabled</c> is
    /// <see langword="false"/> (no TCP layer: the heartbeat alone watches the local peer).
    /// </param>
    /// <param name="payload">The bytes of one heartbeat, for example <c>"PING\r\n"u8.ToArray()</c>.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>
    /// The registration: call <see cref="HeartbeatRegistration.MarkPeerActivity"/> whenever the peer's bytes arrive when
    /// the profile sets <c>Heartbeat:Timeout</c>, and dispose it when the connection closes.
    /// </returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile's values are invalid.</exception>
    /// <exception cref="ArgumentException">
    /// The socket is not connected or not a stream socket, the payload is empty, a Unix-domain socket is given a profile
    /// with TCP keep-alive on, or the profile's heartbeat is one the scheduler refuses (checked with the scheduler's rule,
    /// <see cref="HeartbeatOptionsValidator"/>, after the socket and the payload; e.g. the 10 s default <c>Interval</c> of a
    /// profile a client library is registered for, over its <c>PeerIdleTimeout</c>'s limit), named by the profile's
    /// configuration path; checked before the profile touches the socket, so a refused call changes nothing.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed, or the host's heartbeat scheduler has stopped.</exception>
    HeartbeatRegistration RegisterSocket(Socket socket, ReadOnlyMemory<byte> payload, string profileName);
}

using System.Net.Sockets;

namespace KeepAlive.Net.Streams;

/// <summary>A heartbeat could not be written because its connection's write path is closed for good (the pipe's reader or writer completed).</summary>
internal sealed class WritePathClosedException : IOException
{
    /// <summary>Why a pipe is closed once its reader completed.</summary>
    public const string ReaderCompleted = "the pipe's reader (the transport) has completed";

    public WritePathClosedException(string message)
        : base(message)
    {
    }

    public WritePathClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Whether a write timed out (a NetworkStream's IOException over SocketError.TimedOut), which leaves the connection
    /// unusable: an asynchronous write has no WriteTimeout, so the kernel aborted the connection (TCP_USER_TIMEOUT, keep-alive,
    /// retransmissions), and a blocking write that ran past WriteTimeout may have put part of the heartbeat on the wire, which
    /// the next message would follow. As the socket heartbeat's TimedOut, it ends the registration (PeerDead) instead of being
    /// tried again at every interval.
    /// </summary>
    public static bool IsTimedOut(IOException failure) => failure.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut };

    /// <summary>The heartbeat's failure when its write to <paramref name="connection"/> timed out (<see cref="IsTimedOut"/>).</summary>
    public static WritePathClosedException TimedOut(object connection, IOException failure) => new(
        $"The heartbeat was not sent: its write to the wrapped {connection.GetType().Name} timed out ({failure.Message}): the connection was aborted (TCP_USER_TIMEOUT, keep-alive or retransmissions), or a blocking write ran past the stream's WriteTimeout and part of the heartbeat may be on the wire, so the connection is not usable.",
        failure);

    /// <summary>
    /// The heartbeat's failure once an application's write or flush through <paramref name="owner"/> failed midway (<paramref name="failure"/>):
    /// part of its message may be on the wire, and the peer would read a heartbeat written after it as the rest of that message.
    /// </summary>
    public static WritePathClosedException MessageCut(string owner, Exception failure) => new(
        $"The heartbeat was not sent: an application write or flush through the {owner} failed after part of a message may have gone out ({failure.Message}), and the peer would read a heartbeat as the rest of that message, so the connection's framing is lost. Fix: close the connection (in this PeerDead handler) and open a new one; a message cut midway cannot be resumed on it.",
        failure);

    /// <summary>
    /// The heartbeat's failure when its own writer failed (<paramref name="failure"/>) after writing <paramref name="written"/>
    /// bytes of it: the peer would read the application's next message as the rest of that heartbeat.
    /// </summary>
    public static WritePathClosedException HeartbeatCut(long written, Exception failure) => new(FormattableString.Invariant(
        $"The heartbeat was not sent whole: its heartbeat writer failed after writing {written} bytes of it ({failure.Message}), and the peer would read the application's next message as the rest of that heartbeat, so the connection's framing is lost. Fix: close the connection (in this PeerDead handler) and open a new one; make the writer prepare the whole heartbeat before its first write, so that a failure leaves nothing on the wire."),
        failure);

    /// <summary>The heartbeat's failure on a connection closed for <paramref name="reason"/>.</summary>
    public static WritePathClosedException Because(string reason) => new($"The heartbeat was not sent: {reason}, so the connection is closed.");
}

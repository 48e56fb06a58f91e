using System.Net.Sockets;

namespace KeepAlive.Net.Tcp;

/// <summary>Rejects sockets that cannot carry TCP keep-alive, before any system call.</summary>
internal static class SocketGuard
{
    public static void EnsureTcp(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (IsDisposed(socket))
        {
            throw Disposed(socket, "The socket is disposed, so it has no keep-alive to set or read. Fix: configure keep-alive while the socket is open, right after it is created, connected or accepted.");
        }
        if (socket.AddressFamily == AddressFamily.Unix)
        {
            throw new ArgumentException(
                "TCP keep-alive needs a TCP socket, but this is a Unix-domain stream socket (AddressFamily.Unix), which has no TCP layer and never crosses a middlebox. Fix: use a heartbeat (HeartbeatScheduler) to detect a silent local peer.",
                nameof(socket));
        }

        if (!TcpSockets.IsTcp(socket))
        {
            var instead = socket.SocketType == SocketType.Dgram
                ? "A datagram socket (UDP) has no connection for the kernel to keep alive. Fix: send application heartbeats instead."
                : "Only a TCP connection has keep-alive probes. Fix: configure keep-alive on the TCP socket (SocketType.Stream with ProtocolType.Tcp, or ProtocolType.Unspecified, which is TCP), or send application heartbeats.";
            throw new ArgumentException(
                $"TCP keep-alive needs a TCP socket (SocketType.Stream, ProtocolType.Tcp), but this socket is {socket.SocketType}/{socket.ProtocolType} ({socket.AddressFamily}). {instead}",
                nameof(socket));
        }
    }

    /// <summary>The refusal of a disposed <paramref name="socket"/>, named as the runtime names it (its type's full name), so a catch by ObjectName sees one name.</summary>
    public static ObjectDisposedException Disposed(Socket socket, string message) => new(socket.GetType().FullName, message);

    /// <summary>
    /// Whether <paramref name="socket"/> is disposed (closed): the one rule by which a disposed socket is refused, for keep-alive
    /// and for heartbeats. Not through <see cref="Socket.SafeHandle"/>: reading it marks the handle as exposed, after which .NET
    /// on Unix can no longer open a fresh socket when a connect to one of a host's addresses fails, so it stops trying the next
    /// address.
    /// </summary>
    public static bool IsDisposed(Socket socket)
    {
        try
        {
            _ = socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Type);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}

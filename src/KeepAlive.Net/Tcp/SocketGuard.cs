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

    /// <summary>The refusal of a disposed <paramref name="disposed"/> (a socket, a TcpClient), named as the runtime names it (its type's full name, as <see cref="ObjectDisposedException.ThrowIf(bool, object)"/> does), so a catch by ObjectName sees one name.</summary>
    public static ObjectDisposedException Disposed(object disposed, string message) => new(disposed.GetType().FullName, message);

    /// <summary>The socket of <paramref name="client"/>, for its keep-alive or its heartbeat; a disposed client (no socket left) is refused here, once for both.</summary>
    /// <exception cref="ObjectDisposedException">The client is disposed, or its Client was set to <see langword="null"/>.</exception>
    public static Socket SocketOf(TcpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.Client ?? throw Disposed(client,
            "The TcpClient is disposed (or its Client was set to null), so it has no socket: no keep-alive to set or read, no heartbeat to send. Fix: use the TcpClient while it is open: configure keep-alive and register its heartbeat right after it is connected, and dispose the heartbeat's registration before the client.");
    }

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

using System.Net.Sockets;

namespace KeepAlive.Net.Tcp;

/// <summary>Rejects sockets that cannot carry TCP keep-alive, before any system call.</summary>
internal static class SocketGuard
{
    public static void EnsureTcp(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SafeHandle.IsClosed || socket.SafeHandle.IsInvalid)
        {
            throw new ObjectDisposedException(socket.GetType().FullName, "The socket is disposed, so it has no keep-alive to set or read. Fix: configure keep-alive while the socket is open, right after it is created, connected or accepted.");
        }
        if (socket.AddressFamily == AddressFamily.Unix)
        {
            throw new ArgumentException(
                "TCP keep-alive needs a TCP socket, but this is a Unix-domain stream socket (AddressFamily.Unix), which has no TCP layer and never crosses a middlebox. Use a heartbeat (HeartbeatScheduler) to detect a silent local peer.",
                nameof(socket));
        }

        if (socket.SocketType != SocketType.Stream || socket.ProtocolType != ProtocolType.Tcp)
        {
            throw new ArgumentException(
                $"TCP keep-alive needs a TCP socket (SocketType.Stream, ProtocolType.Tcp), but this socket is {socket.SocketType}/{socket.ProtocolType}. UDP has no connection for the kernel to keep alive: send application heartbeats instead.",
                nameof(socket));
        }
    }
}

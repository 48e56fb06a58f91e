using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// Finds the sockets a client library opened inside this process, by their remote end point, through
/// <c>/proc/self/fd</c>: the library's real socket, read with getsockopt, without any hook of the library's.
/// </summary>
internal static class ClientSockets
{
    private const int TcpInfo = 11;
    private const byte TcpEstablished = 1;

    /// <summary>A socket of this process, found by its file descriptor; the view does not own (or close) the descriptor.</summary>
    public sealed record Found(int Descriptor, string Inode, Socket View);

    /// <summary>Every TCP socket of this process connected to <paramref name="remote"/>.</summary>
    public static IReadOnlyList<Found> ConnectedTo(IPEndPoint remote)
    {
        var found = new List<Found>();
        foreach (var path in Directory.EnumerateFiles("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(path), out var fd) || Target(path) is not { } target || !target.StartsWith("socket:", StringComparison.Ordinal))
            {
                continue;
            }

            Socket view;
            try
            {
                view = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
            }
            catch (SocketException)
            {
                continue;
            }

            if (view.ProtocolType == ProtocolType.Tcp && RemoteOf(view) is { } end && Same(end, remote))
            {
                found.Add(new Found(fd, target, view));
            }
            else
            {
                view.Dispose();
            }
        }

        return found;
    }

    /// <summary>
    /// Ends <paramref name="socket"/>'s connection under its client (shutdown both ways through the view), if its descriptor
    /// still holds that socket. False when the client already closed it: the descriptor is gone or holds another file, or it
    /// was closed between the check and the shutdown (the view's shutdown then fails with EBADF, "operation aborted").
    /// </summary>
    public static bool TryShutdown(Found socket)
    {
        if (Target($"/proc/self/fd/{socket.Descriptor}") != socket.Inode)
        {
            return false;
        }

        try
        {
            socket.View.Shutdown(SocketShutdown.Both);
            return true;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.OperationAborted)
        {
            return false;
        }
    }

    /// <summary>The sockets connected to <paramref name="remote"/> now (other tests' connections), to tell a new one from them.</summary>
    public static HashSet<string> Snapshot(IPEndPoint remote) => [.. ConnectedTo(remote).Select(static s => s.Inode)];

    /// <summary>The established sockets connected to <paramref name="remote"/> that were not in <paramref name="before"/>.</summary>
    public static IReadOnlyList<Found> NewSince(IPEndPoint remote, HashSet<string> before) =>
        [.. ConnectedTo(remote).Where(s => !before.Contains(s.Inode) && IsEstablished(s))];

    /// <summary>The one established socket connected to <paramref name="remote"/> that was not in <paramref name="before"/>; fails the test when there is none or more than one.</summary>
    public static Found SingleNew(IPEndPoint remote, HashSet<string> before)
    {
        var found = NewSince(remote, before);
        found.Should().ContainSingle($"the client opened one connection to {remote}");
        return found[0];
    }

    /// <summary>
    /// Waits until the kernel no longer holds <paramref name="socket"/> as an established connection (it gave up on the
    /// peer: state CLOSE, or the client already closed the descriptor) and returns how long that took, or null at <paramref name="limit"/>.
    /// </summary>
    public static TimeSpan? WaitUntilGone(Found socket, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (!IsEstablished(socket))
            {
                return watch.Elapsed;
            }

            Thread.Sleep(50);
        }

        return null;
    }

    /// <summary>Whether the descriptor still names the same socket and the kernel holds it ESTABLISHED.</summary>
    public static bool IsEstablished(Found socket)
    {
        if (Target($"/proc/self/fd/{socket.Descriptor}") != socket.Inode)
        {
            return false; // the client closed it (the number may already name another file)
        }

        var info = new byte[8];
        try
        {
            socket.View.GetRawSocketOption((int)SocketOptionLevel.Tcp, TcpInfo, info);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        return info[0] == TcpEstablished;
    }

    private static string? Target(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static EndPoint? RemoteOf(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static bool Same(EndPoint end, IPEndPoint remote) =>
        end is IPEndPoint ip && ip.Port == remote.Port
        && (ip.Address.Equals(remote.Address) || (ip.Address.IsIPv4MappedToIPv6 && ip.Address.MapToIPv4().Equals(remote.Address)));
}

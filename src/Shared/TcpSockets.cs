using System.Net.Sockets;

namespace KeepAlive.Net;

/// <summary>Which sockets are TCP: the one rule, compiled into the core, the hosting package and the ASP.NET Core package.</summary>
internal static class TcpSockets
{
    /// <summary>
    /// A stream socket of IPv4 or IPv6 is TCP when created with <see cref="ProtocolType.Tcp"/>, and also with protocol 0
    /// (<see cref="ProtocolType.Unspecified"/>, the same number as <see cref="ProtocolType.IP"/>): the kernel then picks
    /// the family's stream protocol, which is TCP on every system. .NET reports the number given, not the one chosen.
    /// </summary>
    public static bool IsTcp(Socket socket) =>
        socket.SocketType == SocketType.Stream
        && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
        && socket.ProtocolType is ProtocolType.Tcp or ProtocolType.Unspecified;
}

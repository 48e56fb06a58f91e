using System.Buffers.Binary;
using System.Net.Sockets;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>
/// The real seam: passes every call to the socket. SO_KEEPALIVE and the idle, interval and count options of the platform
/// this process runs on are written through .NET's own option names, which set exactly those options: .NET tracks them
/// and copies them to the fresh socket it opens on Unix when a connect to one of a host's addresses fails. A raw option
/// is untracked, and after one .NET stops trying the host's next address (the connect fails instead).
/// </summary>
internal sealed class SocketOptionAccess(Socket socket) : ISocketOptionAccess
{
    private static readonly NativeOptionNames? Names = NativeOptionNames.For(KeepAliveCapabilities.Current.Platform);

    public void SetRawOption(int level, int name, ReadOnlySpan<byte> value)
    {
        if (value.Length == sizeof(int) && Tracked(level, name) is var (portableLevel, portableName))
        {
            socket.SetSocketOption(portableLevel, portableName, BinaryPrimitives.ReadInt32LittleEndian(value));
            return;
        }

        socket.SetRawSocketOption(level, name, value);
    }

    public int GetRawOption(int level, int name, Span<byte> value) => socket.GetRawSocketOption(level, name, value);

    public void IoControl(int code, ReadOnlySpan<byte> input) => socket.IOControl(code, input.ToArray(), null);

    public void SetPortableOption(SocketOptionLevel level, SocketOptionName name, int value) => socket.SetSocketOption(level, name, value);

    public int GetPortableOption(SocketOptionLevel level, SocketOptionName name) => (int)socket.GetSocketOption(level, name)!;

    private static (SocketOptionLevel Level, SocketOptionName Name)? Tracked(int level, int name) => Names switch
    {
        { } n when level == n.SolSocket && name == n.SoKeepAlive => (SocketOptionLevel.Socket, SocketOptionName.KeepAlive),
        { } n when level == n.IpProtoTcp && name == n.KeepIdle => (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime),
        { } n when level == n.IpProtoTcp && name == n.KeepInterval => (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval),
        { } n when level == n.IpProtoTcp && name == n.KeepCount => (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount),
        _ => null,
    };
}

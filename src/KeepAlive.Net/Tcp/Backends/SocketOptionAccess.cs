using System.Net.Sockets;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>The real seam: passes every call to the socket.</summary>
internal sealed class SocketOptionAccess(Socket socket) : ISocketOptionAccess
{
    public void SetRawOption(int level, int name, ReadOnlySpan<byte> value) => socket.SetRawSocketOption(level, name, value);

    public int GetRawOption(int level, int name, Span<byte> value) => socket.GetRawSocketOption(level, name, value);

    public void IoControl(int code, ReadOnlySpan<byte> input) => socket.IOControl(code, input.ToArray(), null);

    public void SetPortableOption(SocketOptionLevel level, SocketOptionName name, int value) => socket.SetSocketOption(level, name, value);

    public int GetPortableOption(SocketOptionLevel level, SocketOptionName name) => (int)socket.GetSocketOption(level, name)!;
}

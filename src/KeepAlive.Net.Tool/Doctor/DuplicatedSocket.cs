using System.Net.Sockets;
using KeepAlive.Net.Tcp.Backends;

namespace KeepAlive.Net.Tool.Doctor;

/// <summary>
/// Another process's socket, duplicated into this one, seen through the library's option seam so the library's own
/// Linux backend reads its keep-alive values exactly as <c>GetKeepAlive()</c> reads a socket of ours. Read only:
/// every write refuses, so <c>doctor</c> can never change a socket it inspects.
/// </summary>
internal sealed class DuplicatedSocket(LinuxProcessFiles.SafeFileDescriptor descriptor) : ISocketOptionAccess
{
    public int GetRawOption(int level, int name, Span<byte> value)
    {
        var length = LinuxProcessFiles.GetOption(descriptor, level, name, value);
        return length >= 0 ? length : throw new SocketException(-length);
    }

    public void SetRawOption(int level, int name, ReadOnlySpan<byte> value) => throw ReadOnly();

    public void IoControl(int code, ReadOnlySpan<byte> input) => throw ReadOnly();

    public void SetPortableOption(SocketOptionLevel level, SocketOptionName name, int value) => throw ReadOnly();

    public int GetPortableOption(SocketOptionLevel level, SocketOptionName name) => throw new NotSupportedException("doctor reads Linux options by number only.");

    private static NotSupportedException ReadOnly() => new("doctor never changes a socket it inspects.");
}

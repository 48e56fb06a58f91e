using System.Net.Sockets;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>
/// The seam between the keep-alive backends and a socket: raw option levels, names and bytes exactly
/// as the operating system receives them. Tests of platforms this machine does not run record them.
/// </summary>
internal interface ISocketOptionAccess
{
    /// <summary>setsockopt(level, name, value).</summary>
    void SetRawOption(int level, int name, ReadOnlySpan<byte> value);

    /// <summary>getsockopt(level, name); returns the number of bytes written.</summary>
    int GetRawOption(int level, int name, Span<byte> value);

    /// <summary>WSAIoctl(code, input) with no output buffer.</summary>
    void IoControl(int code, ReadOnlySpan<byte> input);

    /// <summary>.NET's portable option mapping, for platforms without a native mapping of ours.</summary>
    void SetPortableOption(SocketOptionLevel level, SocketOptionName name, int value);

    /// <summary>.NET's portable option mapping, for platforms without a native mapping of ours.</summary>
    int GetPortableOption(SocketOptionLevel level, SocketOptionName name);
}

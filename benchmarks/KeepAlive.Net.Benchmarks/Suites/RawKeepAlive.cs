using System.Buffers.Binary;
using System.Net.Sockets;
using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tcp.Backends;

namespace KeepAlive.Net.Benchmarks.Suites;

/// <summary>
/// The hand-written equivalent of ConfigureKeepAlive: the platform's option numbers from <see cref="NativeOptionNames"/>,
/// the values the library would write (whole seconds; TCP_USER_TIMEOUT derived as idle + interval × count − interval / 2),
/// set with SetRawSocketOption and read back with GetRawSocketOption.
/// </summary>
internal sealed class RawKeepAlive(NativeOptionNames names, int idleSeconds, int intervalSeconds, int probeCount, int userTimeoutMilliseconds)
{
    public static RawKeepAlive ForCurrentPlatform(TcpKeepAliveOptions options)
    {
        var names = KeepAliveCapabilities.Current.Platform switch
        {
            KeepAlivePlatform.Linux => NativeOptionNames.Linux,
            KeepAlivePlatform.MacOS => NativeOptionNames.MacOS,
            KeepAlivePlatform.FreeBsd => NativeOptionNames.FreeBsd,
            KeepAlivePlatform.Windows => NativeOptionNames.Windows,
            var other => throw new PlatformNotSupportedException($"The raw baseline needs per-option setsockopt; {other} has none."),
        };
        var userTimeout = options.GetDeadPeerDetectionTime() - (options.Interval / 2);
        return new RawKeepAlive(names, (int)options.IdleTime.TotalSeconds, (int)options.Interval.TotalSeconds, options.ProbeCount, (int)userTimeout.TotalMilliseconds);
    }

    public int ApplyAndRead(Socket socket)
    {
        Set(socket, names.SolSocket, names.SoKeepAlive, 1);
        Set(socket, names.IpProtoTcp, names.KeepIdle, idleSeconds);
        Set(socket, names.IpProtoTcp, names.KeepInterval, intervalSeconds);
        Set(socket, names.IpProtoTcp, names.KeepCount, probeCount);
        var sum = Get(socket, names.SolSocket, names.SoKeepAlive)
            + Get(socket, names.IpProtoTcp, names.KeepIdle)
            + Get(socket, names.IpProtoTcp, names.KeepInterval)
            + Get(socket, names.IpProtoTcp, names.KeepCount);
        if (names.UserTimeout is { } userTimeout)
        {
            Set(socket, names.IpProtoTcp, userTimeout, userTimeoutMilliseconds);
            sum += Get(socket, names.IpProtoTcp, userTimeout);
        }

        return sum;
    }

    private static void Set(Socket socket, int level, int name, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        socket.SetRawSocketOption(level, name, bytes);
    }

    private static int Get(Socket socket, int level, int name)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        socket.GetRawSocketOption(level, name, bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }
}

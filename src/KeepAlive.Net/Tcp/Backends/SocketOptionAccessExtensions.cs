using System.Buffers.Binary;

namespace KeepAlive.Net.Tcp.Backends;

/// <summary>Four-byte integer options, little-endian as on every platform .NET runs keep-alive on.</summary>
internal static class SocketOptionAccessExtensions
{
    public static void SetInt32(this ISocketOptionAccess access, int level, int name, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        access.SetRawOption(level, name, bytes);
    }

    public static int GetInt32(this ISocketOptionAccess access, int level, int name)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        bytes.Clear();
        var length = access.GetRawOption(level, name, bytes);
        return length switch
        {
            sizeof(int) => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            1 => bytes[0],
            _ => throw new InvalidOperationException($"getsockopt({level}, {name}) returned {length} bytes; expected 4."),
        };
    }
}

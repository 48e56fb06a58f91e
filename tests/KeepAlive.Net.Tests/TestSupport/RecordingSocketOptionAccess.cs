using System.Net.Sockets;
using KeepAlive.Net.Tcp.Backends;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// The recording seam: keeps every option level, name and byte a backend gives the operating system,
/// and answers reads from what was written (a kernel that stores what it is told).
/// </summary>
internal sealed class RecordingSocketOptionAccess : ISocketOptionAccess
{
    private readonly Dictionary<(int Level, int Name), byte[]> _stored = [];

    public List<RecordedCall> Calls { get; } = [];

    public IEnumerable<RecordedCall> Writes => Calls.Where(static c => c.Kind != "getsockopt");

    public void SetRawOption(int level, int name, ReadOnlySpan<byte> value)
    {
        Calls.Add(new RecordedCall("setsockopt", level, name, value.ToArray()));
        _stored[(level, name)] = value.ToArray();
    }

    public int GetRawOption(int level, int name, Span<byte> value)
    {
        Calls.Add(new RecordedCall("getsockopt", level, name, []));
        var stored = _stored.TryGetValue((level, name), out var bytes) ? bytes : new byte[4];
        stored.CopyTo(value);
        return stored.Length;
    }

    public void IoControl(int code, ReadOnlySpan<byte> input)
    {
        Calls.Add(new RecordedCall("WSAIoctl", 0, code, input.ToArray()));
        if (code == unchecked((int)0x98000004))
        {
            // SIO_KEEPALIVE_VALS's onoff switches SO_KEEPALIVE (SOL_SOCKET 0xffff, 0x0008) as Windows does.
            _stored[(0xffff, 0x0008)] = input[..4].ToArray();
        }
    }

    public void SetPortableOption(SocketOptionLevel level, SocketOptionName name, int value) =>
        SetRawOption((int)level, (int)name, BitConverter.GetBytes(value));

    public int GetPortableOption(SocketOptionLevel level, SocketOptionName name)
    {
        Span<byte> bytes = stackalloc byte[4];
        GetRawOption((int)level, (int)name, bytes);
        return BitConverter.ToInt32(bytes);
    }
}

/// <summary>One call through the seam.</summary>
internal sealed record RecordedCall(string Kind, int Level, int Name, byte[] Value)
{
    public override string ToString() => $"{Kind}(0x{Level:x}, 0x{Name:x}, [{Convert.ToHexString(Value)}])";
}

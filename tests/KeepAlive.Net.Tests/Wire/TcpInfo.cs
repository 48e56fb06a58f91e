using System.Buffers.Binary;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.Wire;

/// <summary>The fields of Linux struct tcp_info (getsockopt IPPROTO_TCP, TCP_INFO) these tests need.</summary>
internal readonly record struct TcpInfo(byte State, byte Retransmits, uint Unacked)
{
    public const byte Established = 1;

    public static TcpInfo Read(Socket socket)
    {
        var buffer = new byte[104];
        var length = socket.GetRawSocketOption(6, 11, buffer);
        if (length < 28)
        {
            throw new InvalidOperationException($"TCP_INFO returned {length} bytes");
        }

        // u8 state, ca_state, retransmits, probes, backoff, options, wscale, flags; u32 rto, ato, snd_mss, rcv_mss, unacked.
        return new TcpInfo(buffer[0], buffer[2], BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24)));
    }
}

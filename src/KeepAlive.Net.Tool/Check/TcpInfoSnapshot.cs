using System.Buffers.Binary;
using System.Net.Sockets;
using KeepAlive.Net.Tcp.Backends;

namespace KeepAlive.Net.Tool.Check;

/// <summary>
/// The kernel's own view of a connection: Linux <c>struct tcp_info</c> from getsockopt(IPPROTO_TCP, TCP_INFO = 11).
/// Offsets follow include/uapi/linux/tcp.h: eight u8 (state, ca_state, retransmits, probes, backoff, options,
/// wscale, flags), then u32 rto @8, ato, snd_mss, rcv_mss, unacked @24, sacked, lost, retrans, fackets,
/// last_data_sent @44, last_ack_sent, last_data_recv @52, last_ack_recv @56, pmtu, rcv_ssthresh, rtt @68 (µs),
/// rttvar, snd_ssthresh, snd_cwnd, advmss, reordering, rcv_rtt, rcv_space, total_retrans @100.
/// </summary>
internal sealed record TcpInfoSnapshot(
    string State,
    int Retransmits,
    int ProbesOut,
    int Backoff,
    uint Unacked,
    TimeSpan SinceLastDataSent,
    TimeSpan SinceLastDataReceived,
    TimeSpan SinceLastAckReceived,
    TimeSpan RoundTrip,
    uint TotalRetransmits)
{
    private const int IpProtocolTcp = 6; // NativeOptionNames.Linux.IpProtoTcp, as a constant
    private const int TcpInfoOption = NativeOptionNames.LinuxTcpInfo;
    private const int MinimumLength = 104;

    private static readonly string[] States =
        ["UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"];

    /// <summary>TCP_INFO's option level and name, getsockopt(IPPROTO_TCP = 6, TCP_INFO = 11).</summary>
    public const int Level = IpProtocolTcp;

    public const int Name = TcpInfoOption;

    /// <summary>Room for struct tcp_info as any kernel fills it.</summary>
    public const int BufferLength = 256;

    /// <summary>The state names of include/net/tcp_states.h, by number (also the <c>st</c> column of /proc/net/tcp).</summary>
    public static string StateName(int state) =>
        state < States.Length ? States[state] : state.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads TCP_INFO, or returns <see langword="null"/> where it does not exist (not Linux) or the socket is gone.</summary>
    public static TcpInfoSnapshot? TryRead(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[BufferLength];
        try
        {
            return Parse(buffer.AsSpan(0, socket.GetRawSocketOption(IpProtocolTcp, TcpInfoOption, buffer)));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Decodes struct tcp_info, or returns <see langword="null"/> when the kernel wrote too little.</summary>
    public static TcpInfoSnapshot? Parse(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < MinimumLength)
        {
            return null;
        }

        uint U32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
        return new TcpInfoSnapshot(
            StateName(buffer[0]),
            buffer[2], buffer[3], buffer[4], U32(buffer, 24),
            TimeSpan.FromMilliseconds(U32(buffer, 44)), TimeSpan.FromMilliseconds(U32(buffer, 52)), TimeSpan.FromMilliseconds(U32(buffer, 56)),
            TimeSpan.FromMicroseconds(U32(buffer, 68)), U32(buffer, 100));
    }
}

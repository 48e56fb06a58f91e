using System.Net;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>One TCP segment read from a capture, with the fields the analysis needs.</summary>
/// <param name="Frame">The 1-based frame number in the file, as Wireshark and tshark number frames.</param>
/// <param name="Time">Seconds since the first frame of the capture.</param>
/// <param name="Source">The sender.</param>
/// <param name="Destination">The receiver.</param>
/// <param name="Sequence">The sequence number (SEG.SEQ).</param>
/// <param name="Acknowledgment">The acknowledgment number (SEG.ACK).</param>
/// <param name="Flags">The TCP flags.</param>
/// <param name="PayloadLength">Bytes of payload, from the IP header's length fields (not from what was captured).</param>
/// <param name="Window">The advertised window, unscaled.</param>
/// <param name="Ttl">The IPv4 TTL or IPv6 hop limit as captured: which device sent a RST shows in it.</param>
/// <param name="Payload">The payload bytes the capture kept (fewer than <paramref name="PayloadLength"/> when the snap length cut them).</param>
internal sealed record TcpSegment(
    long Frame,
    double Time,
    IPEndPoint Source,
    IPEndPoint Destination,
    uint Sequence,
    uint Acknowledgment,
    TcpFlags Flags,
    int PayloadLength,
    ushort Window,
    int Ttl = 0,
    ReadOnlyMemory<byte> Payload = default)
{
    /// <summary>Gets a value indicating whether the segment opens, closes or resets the connection (SYN, FIN or RST): never a probe, a window probe or a probe's answer.</summary>
    public bool OpensOrCloses => Has(TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst);

    public bool Has(TcpFlags flag) => (Flags & flag) != 0;
}

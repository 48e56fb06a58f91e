using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using KeepAlive.Net.Tool.Cli;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KeepAlive.Net.Tool.Analyze;

/// <summary>Reads a pcap or pcapng file through libpcap (SharpPcap) and decodes it with PacketDotNet.</summary>
internal static class CaptureFile
{
    /// <summary>The link types analyze reads, as <see cref="ReadableLinkTypesText"/> names them; a frame of another that gives no TCP segment is of a link type it cannot decode.</summary>
    private static readonly FrozenSet<LinkLayers> ReadableLinkTypes = [LinkLayers.Ethernet, LinkLayers.LinuxSll, LinkLayers.LinuxSll2, LinkLayers.Null, LinkLayers.Raw, LinkLayers.RawLegacy];

    /// <summary>The link types analyze reads, in words (the warning about frames of another).</summary>
    public const string ReadableLinkTypesText = "Ethernet with or without VLAN tags, Linux cooked capture v1 and v2, BSD loopback and raw IP";

    /// <summary>Reads every TCP segment; a file cut short yields what was there and the reason.</summary>
    /// <param name="path">The capture file.</param>
    /// <param name="cancellationToken">Stops the reading at the next frame (Ctrl-C or SIGTERM on a large capture).</param>
    /// <exception cref="ToolInputException">The file is missing or is not a capture libpcap can read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CaptureContents Read(string path, CancellationToken cancellationToken)
    {
        Paths.RequireFile(path, path, "give a .pcap or .pcapng file, e.g. one written by 'tcpdump -w FILE'");
        if (new FileInfo(path).Length == 0)
        {
            throw new ToolInputException($"{path}: an empty file (0 bytes), not a capture: nothing was ever written to it (tcpdump writes its file header as it starts). Fix: give the file tcpdump wrote, or record the capture again with 'tcpdump -i any -w FILE'.");
        }

        using var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open();
        }
        catch (PcapException e)
        {
            // Cut: libpcap ran out of header bytes, or of blocks before the first interface; anything else it refuses is
            // damaged or of a version it does not know, with nothing cut.
            var cut = e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("no Interface Description Blocks", StringComparison.Ordinal);
            throw new ToolInputException(FormatOf(path) switch
            {
                { } format when cut => $"{path}: a {format} capture cut inside its file header ({e.Message.Trim()}): the program that wrote it stopped before any packet. Fix: record it again, and stop tcpdump with Ctrl-C or SIGTERM, not SIGKILL.",
                { } format => $"{path}: a {format} capture whose file header libpcap cannot read ({e.Message.Trim()}): the file is damaged, or written in a version this libpcap does not know. Fix: record it again with 'tcpdump -w FILE', or open it in Wireshark and save it as pcap.",
                null => $"{path}: not a pcap or pcapng capture ({e.Message.Trim()}). Fix: give a capture as tcpdump or Wireshark writes it, e.g. with 'tcpdump -w FILE' (not a text export such as 'tcpdump > FILE').",
            });
        }
        catch (DllNotFoundException e)
        {
            throw new ToolInputException($"libpcap is not installed, so captures cannot be read ({e.Message}). Fix: install it: 'apt-get install libpcap0.8' (Linux), Npcap (Windows); macOS ships it.");
        }

        var segments = new List<TcpSegment>();
        long frames = 0, undecodable = 0, firstUndecodable = 0;
        // Timestamps as decimal seconds: PosixTimeval.Date throws on a time DateTime cannot hold (a corrupt header).
        decimal? start = null;
        string? unknownLinkType = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = device.GetNextPacket(out var capture);
            if (status == GetPacketStatus.NoRemainingPackets)
            {
                return new CaptureContents(segments, frames, null, undecodable, firstUndecodable, unknownLinkType);
            }

            if (status != GetPacketStatus.PacketRead)
            {
                var reason = device.LastError;
                return new CaptureContents(segments, frames, string.IsNullOrWhiteSpace(reason) ? CaptureContents.EndsInAFrame : reason.Trim(), undecodable, firstUndecodable, unknownLinkType);
            }

            frames++;
            var raw = capture.GetPacket();
            start ??= raw.Timeval.Value;
            TcpSegment? segment = null;
            var decoded = true;
            try
            {
                segment = Decode(frames, (double)(raw.Timeval.Value - start.Value), raw, WireLength(capture, raw));
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotImplementedException)
            {
                // PacketDotNet decodes lazily, so a frame too short for its own headers throws from any property, not
                // only from ParsePacket; NotImplementedException is its answer to a link type it does not know.
                decoded = false;
            }

            if (segment is not null)
            {
                segments.Add(segment);
            }
            else if (!decoded || !ReadableLinkTypes.Contains(raw.LinkLayerType))
            {
                // Whether a frame is damaged or of a link type analyze does not read is the link type's to say, not
                // PacketDotNet's exception: raw IP that fails is damaged (a NotImplementedException for its version), and
                // IEEE 802.11 that PacketDotNet reads as a management frame is still no IP analyze can read.
                undecodable++;
                firstUndecodable = firstUndecodable == 0 ? frames : firstUndecodable;
                unknownLinkType ??= ReadableLinkTypes.Contains(raw.LinkLayerType) ? null : string.Create(CultureInfo.InvariantCulture, $"{raw.LinkLayerType} ({(int)raw.LinkLayerType})");
            }
        }
    }

    /// <summary>The format a file's first four bytes announce (pcap's magic numbers in either byte order, microseconds or nanoseconds; pcapng's section header block), or <see langword="null"/>.</summary>
    private static string? FormatOf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using (var file = File.OpenRead(path))
        {
            if (file.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4)
            {
                return null;
            }
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(magic) switch
        {
            0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 => "pcap",
            0x0A0D0D0A => "pcapng",
            _ => null,
        };
    }

    /// <summary>How long the frame was on the wire: the record's original length, of which the snap length may have kept less (RawCapture's PacketLength is what was kept).</summary>
    private static int WireLength(PacketCapture capture, RawCapture raw) =>
        capture.Header is PcapHeader header ? (int)Math.Min(header.PacketLength, int.MaxValue) : raw.Data.Length;

    private static TcpSegment? Decode(long frame, double time, RawCapture raw, int wireLength)
    {
        // PacketDotNet writes the length the frame kept over an IPv4 total length of 0, in the frame: the headers as the
        // file holds them are copied first (every link type's IP header starts within the first bytes).
        Span<byte> headers = stackalloc byte[Math.Min(raw.Data.Length, 256)];
        raw.Data.AsSpan(0, headers.Length).CopyTo(headers);
        // PacketDotNet returns no packet at all for a frame its link type's parser refuses whole (an IEEE 802.11 frame).
        var packet = Packet.ParsePacket(raw.LinkLayerType, raw.Data);
        var ip = packet?.Extract<IPPacket>();
        var tcp = packet?.Extract<TcpPacket>() ?? BigTcp(ip, raw);
        if (ip is null || tcp is null)
        {
            return null;
        }

        // The payload length the sender meant, from the IP header, as Wireshark computes it (not what the snap length
        // kept): from the end of the TCP header to the end of the IP datagram, so IPv6 extension headers, which IPv6's
        // payload length counts, are no TCP payload. An IP length of 0 is a segment seen before the NIC split it (an IPv4
        // TSO capture, IPv6 BIG TCP: see BigTcp): its datagram ends where the frame ended on the wire, not where the snap
        // length cut it.
        var start = tcp.HeaderSegment.Offset + tcp.HeaderSegment.Length;
        var lengthField = ip.HeaderSegment.Offset + 2;
        var ipEnd = ip switch
        {
            IPv4Packet when lengthField + 2 <= headers.Length && System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(headers[lengthField..]) == 0 => wireLength,
            IPv4Packet v4 => ip.HeaderSegment.Offset + v4.TotalLength,
            IPv6Packet { PayloadLength: 0 } => wireLength,
            _ => ip.HeaderSegment.Offset + IPv6Fields.HeaderLength + ((IPv6Packet)ip).PayloadLength,
        };
        var payload = Math.Max(0, ipEnd - start);
        var flags = (tcp.Finished ? TcpFlags.Fin : 0) | (tcp.Synchronize ? TcpFlags.Syn : 0) | (tcp.Reset ? TcpFlags.Rst : 0) | (tcp.Acknowledgment ? TcpFlags.Ack : 0);
        // What the capture kept of the payload, read from the frame itself: PacketDotNet trusts the IP length and fails
        // on a frame the snap length cut.
        var kept = raw.Data.AsMemory(Math.Min(start, raw.Data.Length), Math.Clamp(raw.Data.Length - start, 0, payload));
        return new TcpSegment(frame, time,
            new IPEndPoint(ip.SourceAddress, tcp.SourcePort), new IPEndPoint(ip.DestinationAddress, tcp.DestinationPort),
            tcp.SequenceNumber, tcp.AcknowledgmentNumber, flags, payload, tcp.WindowSize, ip.TimeToLive, kept);
    }

    /// <summary>
    /// The TCP segment of an IPv6 datagram whose payload length is 0: one too large for the field, captured before the NIC
    /// split it (BIG TCP, with or without the jumbo payload option of RFC 2675). PacketDotNet takes the 0 at its word and
    /// finds no TCP in it, so the segment is read from after the extension headers to the end of the frame.
    /// </summary>
    private static TcpPacket? BigTcp(IPPacket? ip, RawCapture raw)
    {
        if (ip is not IPv6Packet { PayloadLength: 0, Protocol: ProtocolType.Tcp } v6)
        {
            return null;
        }

        var start = v6.HeaderSegment.Offset + IPv6Fields.HeaderLength + v6.ExtensionHeadersLength;
        return start < raw.Data.Length ? new TcpPacket(new PacketDotNet.Utils.ByteArraySegment(raw.Data, start, raw.Data.Length - start)) : null;
    }
}

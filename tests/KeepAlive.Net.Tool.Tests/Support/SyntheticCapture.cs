using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>
/// Writes small pcap files with PacketDotNet and libpcap's writer, for tests that need exact segments (probes at
/// chosen times, cut files) without root. The wire tests use real captures from tcpdump instead.
/// </summary>
internal sealed class SyntheticCapture
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-00-00-00-00-01");
    private readonly List<(double Time, byte[] Frame)> _packets = [];

    public static IPEndPoint Client { get; } = new(IPAddress.Parse("10.9.0.2"), 40000);

    public static IPEndPoint Server { get; } = new(IPAddress.Parse("10.9.0.3"), 5000);

    /// <summary>
    /// Adds a segment; <paramref name="data"/> is its payload (else <paramref name="payload"/> zero bytes), <paramref name="ttl"/> the IPv4 TTL,
    /// <paramref name="client"/> and <paramref name="server"/> the endpoints when not <see cref="Client"/> and <see cref="Server"/>.
    /// </summary>
    public SyntheticCapture Add(double time, bool fromClient, uint seq, uint ack, string flags, int payload = 0, ushort window = 502, byte[]? data = null, byte ttl = 64,
        IPEndPoint? client = null, IPEndPoint? server = null)
    {
        var (source, destination) = fromClient ? (client ?? Client, server ?? Server) : (server ?? Server, client ?? Client);
        var tcp = new TcpPacket((ushort)source.Port, (ushort)destination.Port)
        {
            SequenceNumber = seq,
            AcknowledgmentNumber = ack,
            Synchronize = flags.Contains('S', StringComparison.Ordinal),
            Acknowledgment = flags.Contains('.', StringComparison.Ordinal),
            Finished = flags.Contains('F', StringComparison.Ordinal),
            Reset = flags.Contains('R', StringComparison.Ordinal),
            WindowSize = window,
            PayloadData = data ?? new byte[payload],
        };
        var ip = new IPv4Packet(source.Address, destination.Address) { PayloadPacket = tcp, TimeToLive = ttl };
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        tcp.UpdateTcpChecksum();
        _packets.Add((time, new EthernetPacket(Mac, Mac, EthernetType.IPv4) { PayloadPacket = ip }.Bytes));
        return this;
    }

    /// <summary>The Ethernet frame added <paramref name="index"/>th, to change before adding it to another capture.</summary>
    public byte[] Frame(int index) => _packets[index].Frame;

    /// <summary>Adds an Ethernet frame as given, for headers PacketDotNet does not write (an IPv6 extension header, an IPv4 total length of 0).</summary>
    public SyntheticCapture AddFrame(double time, byte[] frame)
    {
        _packets.Add((time, frame));
        return this;
    }

    /// <summary>Writes the frames to <paramref name="path"/> as a pcap of <paramref name="linkType"/> (Ethernet unless a test relabels its frames).</summary>
    public string Write(string path, LinkLayers linkType = LinkLayers.Ethernet)
    {
        using (var writer = new CaptureFileWriterDevice(path, FileMode.Create))
        {
            writer.Open(new DeviceConfiguration { LinkLayerType = linkType, Snaplen = 65535 });
            var start = new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
            foreach (var (time, frame) in _packets)
            {
                writer.Write(new RawCapture(linkType, new PosixTimeval(start.AddSeconds(time)), frame));
            }
        }

        return path;
    }
}

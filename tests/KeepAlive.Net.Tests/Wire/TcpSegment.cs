using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace KeepAlive.Net.Tests.Wire;

/// <summary>One TCP segment decoded from a tcpdump -tt -x hex dump of its IPv4 packet.</summary>
internal sealed record TcpSegment(double Time, IPAddress Source, int SourcePort, IPAddress Destination, uint Sequence, uint Acknowledgment, int PayloadLength)
{
    /// <summary>Parses the output of <c>tcpdump -nn -tt -x</c>.</summary>
    public static List<TcpSegment> ParseTcpdump(string output)
    {
        var segments = new List<TcpSegment>();
        double? time = null;
        var hex = new System.Text.StringBuilder();

        void Flush()
        {
            if (time is { } t && hex.Length > 0 && Decode(t, Convert.FromHexString(hex.ToString())) is { } segment)
            {
                segments.Add(segment);
            }

            hex.Clear();
        }

        foreach (var line in output.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("0x", StringComparison.Ordinal))
            {
                var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
                hex.Append(trimmed[(colon + 1)..].Replace(" ", string.Empty, StringComparison.Ordinal));
            }
            else if (trimmed.Length > 0 && char.IsDigit(trimmed[0]))
            {
                Flush();
                time = double.Parse(trimmed.Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        Flush();
        return segments;
    }

    private static TcpSegment? Decode(double time, byte[] packet)
    {
        if (packet.Length < 40 || packet[0] >> 4 != 4 || packet[9] != 6)
        {
            return null;
        }

        var ipHeader = (packet[0] & 0x0f) * 4;
        var total = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2));
        var tcp = packet.AsSpan(ipHeader);
        var tcpHeader = (tcp[12] >> 4) * 4;
        return new TcpSegment(
            time,
            new IPAddress(packet.AsSpan(12, 4)),
            BinaryPrimitives.ReadUInt16BigEndian(tcp),
            new IPAddress(packet.AsSpan(16, 4)),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            total - ipHeader - tcpHeader);
    }
}

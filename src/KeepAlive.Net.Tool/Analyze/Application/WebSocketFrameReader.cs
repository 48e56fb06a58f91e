using System.Buffers.Binary;
using System.Text;

namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// WebSocket frames (RFC 6455 section 5.2): FIN and opcode, then MASK and a 7-bit length (126: 16-bit, 127: 64-bit
/// follows), then a 4-byte masking key when masked (every client frame). Kept: ping (0x9), pong (0xA) and close (0x8,
/// with its status code and reason).
/// </summary>
internal sealed class WebSocketFrameReader(bool fromClient) : FrameReader(fromClient)
{
    private const int Close = 0x8;
    private const int Ping = 0x9;
    private const int Pong = 0xA;

    protected override int? HeaderLength(List<byte> header)
    {
        if (header.Count < 2)
        {
            return null;
        }

        var mask = (header[1] & 0x80) != 0 ? 4 : 0;
        return (header[1] & 0x7f) switch
        {
            126 => 4 + mask,
            127 => 10 + mask,
            _ => 2 + mask,
        };
    }

    protected override (long Length, bool Keep) Payload(List<byte> header)
    {
        var span = header.ToArray().AsSpan();
        var length = (header[1] & 0x7f) switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(span[2..]),
            127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(span[2..]), long.MaxValue),
            var small => small,
        };
        return (length, Opcode(header) is Close or Ping or Pong);
    }

    protected override ControlFrame? Read(List<byte> header, byte[] payload, double at, long frame)
    {
        switch (Opcode(header))
        {
            case Ping:
                return new ControlFrame(at, frame, FromClient, ControlFrame.Ping);
            case Pong:
                return new ControlFrame(at, frame, FromClient, ControlFrame.Pong);
            case Close:
                if ((header[1] & 0x80) != 0)
                {
                    var key = header.GetRange(header.Count - 4, 4);
                    for (var i = 0; i < payload.Length; i++)
                    {
                        payload[i] ^= key[i % 4];
                    }
                }

                return new ControlFrame(at, frame, FromClient, ControlFrame.Close,
                    payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : null,
                    payload.Length > 2 ? Encoding.UTF8.GetString(payload, 2, payload.Length - 2) : null);
            default:
                return null;
        }
    }

    private static int Opcode(List<byte> header) => header[0] & 0x0f;
}

using System.Buffers.Binary;
using System.Text;

namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// HTTP/2 frames (RFC 9113 section 4.1): a 9-byte header (24-bit length, type, flags, stream id). Kept: PING (type 6,
/// flag 0x1 = ACK) and GOAWAY (type 7: last stream id, error code, debug data such as gRPC's "too_many_pings").
/// </summary>
internal sealed class Http2FrameReader(bool fromClient) : FrameReader(fromClient)
{
    private const byte PingType = 6;
    private const byte GoAwayType = 7;
    private const byte AckFlag = 1;

    /// <summary>The error codes of RFC 9113 section 7.</summary>
    public static string ErrorName(long code) => code switch
    {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:x}",
    };

    protected override int? HeaderLength(List<byte> header) => 9;

    protected override (long Length, bool Keep) Payload(List<byte> header) =>
        ((header[0] << 16) | (header[1] << 8) | header[2], header[3] is PingType or GoAwayType);

    protected override ControlFrame? Read(List<byte> header, byte[] payload, double at, long frame) => header[3] switch
    {
        PingType => new ControlFrame(at, frame, FromClient, (header[4] & AckFlag) != 0 ? ControlFrame.PingAck : ControlFrame.Ping),
        GoAwayType when payload.Length >= 8 => new ControlFrame(at, frame, FromClient, ControlFrame.GoAway,
            BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)),
            payload.Length > 8 ? Encoding.UTF8.GetString(payload, 8, payload.Length - 8) : null,
            BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff),
        _ => null,
    };
}

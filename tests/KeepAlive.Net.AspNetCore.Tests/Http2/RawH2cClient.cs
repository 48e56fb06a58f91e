using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KeepAlive.Net.AspNetCore.Tests.Http2;

/// <summary>
/// An HTTP/2 client with prior knowledge (h2c), or over TLS (ALPN h2), written frame by frame, so a test decides exactly
/// when it opens a stream and when it acknowledges a PING: the race of RFC 9113 §6.8 on demand.
/// </summary>
internal sealed class RawH2cClient : IAsyncDisposable
{
    public const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8;
    private readonly Socket _socket;
    private readonly Stream _stream;

    private RawH2cClient(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    /// <summary>Connects; over TLS when <paramref name="serverCertificate"/> is given (the only certificate trusted).</summary>
    public static async Task<RawH2cClient> ConnectAsync(Uri baseAddress, CancellationToken cancellationToken, X509Certificate2? serverCertificate = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(baseAddress.Host, baseAddress.Port, cancellationToken);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (serverCertificate is not null)
        {
            var tls = new SslStream(stream);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == serverCertificate.GetCertHashString(),
            }, cancellationToken);
            stream = tls;
        }

        var client = new RawH2cClient(socket, stream);
        await client._stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), cancellationToken);
        await client.SendAsync(Settings, 0, 0, [], cancellationToken);
        return client;
    }

    /// <summary>Sends a GET for <paramref name="path"/> on a new stream (HPACK: static :method GET and :scheme http or https, literal :path and :authority).</summary>
    public Task SendGetAsync(int streamId, string path, CancellationToken cancellationToken)
    {
        var block = new List<byte> { 0x82, _stream is SslStream ? (byte)0x87 : (byte)0x86 };
        AddLiteral(block, 4, path);
        AddLiteral(block, 1, "localhost");
        return SendAsync(Headers, 0x5, streamId, [.. block], cancellationToken);
    }

    public Task SendAsync(byte type, byte flags, int streamId, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[9 + payload.Length];
        (frame[0], frame[1], frame[2], frame[3], frame[4]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return _stream.WriteAsync(frame, cancellationToken).AsTask();
    }

    /// <summary>Reads the next frame; <see langword="null"/> when the server closed the connection (FIN). A RST throws.</summary>
    public async Task<Frame?> ReadAsync(CancellationToken cancellationToken)
    {
        var header = new byte[9];
        if (await _stream.ReadAtLeastAsync(header, 9, throwOnEndOfStream: false, cancellationToken) < 9)
        {
            return null;
        }

        var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
        await _stream.ReadExactlyAsync(payload, cancellationToken);
        return new Frame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
    }

    /// <summary>Reads frames until one matches, answering the server's SETTINGS on the way; fails at the end of the connection.</summary>
    public async Task<Frame> ReadUntilAsync(Func<Frame, bool> match, List<Frame>? seen, CancellationToken cancellationToken)
    {
        while (await ReadAsync(cancellationToken) is { } frame)
        {
            seen?.Add(frame);
            if (frame.Type == Settings && (frame.Flags & 1) == 0)
            {
                await SendAsync(Settings, 1, 0, [], cancellationToken);
            }

            if (match(frame))
            {
                return frame;
            }
        }

        throw new InvalidOperationException("the server closed the connection before the expected frame");
    }

    /// <summary>Half-closes the client's side (FIN; over TLS without a close_notify, as a client that just closes).</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private static void AddLiteral(List<byte> block, byte nameIndex, string value)
    {
        block.Add(nameIndex); // literal header field without indexing, indexed name (4-bit prefix)
        block.Add((byte)value.Length);
        block.AddRange(Encoding.ASCII.GetBytes(value));
    }

    internal sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
    {
        public bool EndsStream => Type is Data or Headers && (Flags & 1) != 0;

        public int LastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & int.MaxValue;

        public bool IsOurPing => Type == Ping && (Flags & 1) == 0 && Payload.AsSpan().SequenceEqual("KA-GOAWY"u8);
    }
}

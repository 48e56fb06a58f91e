using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>
/// An HTTP/2 server with prior knowledge (h2c), written frame by frame, that enforces a ping policy the way gRPC
/// servers do: it acknowledges PINGs up to a limit, then sends GOAWAY with ENHANCE_YOUR_CALM and the debug data
/// "too_many_pings", and closes the connection.
/// </summary>
internal sealed class PingRefusingH2cServer(Socket listener, int allowedPings) : IDisposable
{
    public const uint EnhanceYourCalm = 0xb;
    private const byte Settings = 4;
    private const byte Ping = 6;
    private const byte GoAway = 7;
    private const byte Ack = 1;
    private readonly CancellationTokenSource _stop = new();

    public Task<int> ServeOneAsync() => Task.Run(async () =>
    {
        using var socket = await listener.AcceptAsync(_stop.Token);
        await using var stream = new NetworkStream(socket);
        await stream.ReadExactlyAsync(new byte[24], _stop.Token); // the client preface
        await WriteAsync(stream, Settings, 0, []);
        var header = new byte[9];
        var pings = 0;
        while (true)
        {
            await stream.ReadExactlyAsync(header, _stop.Token);
            var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
            await stream.ReadExactlyAsync(payload, _stop.Token);
            if (header[3] == Settings && (header[4] & Ack) == 0)
            {
                await WriteAsync(stream, Settings, Ack, []);
            }
            else if (header[3] == Ping && (header[4] & Ack) == 0 && ++pings <= allowedPings)
            {
                await WriteAsync(stream, Ping, Ack, payload);
            }
            else if (header[3] == Ping && (header[4] & Ack) == 0)
            {
                var goAway = new byte[8 + "too_many_pings".Length];
                BinaryPrimitives.WriteUInt32BigEndian(goAway.AsSpan(4), EnhanceYourCalm);
                Encoding.ASCII.GetBytes("too_many_pings").CopyTo(goAway, 8);
                await WriteAsync(stream, GoAway, 0, goAway);
                await Task.Delay(200, _stop.Token);
                socket.Shutdown(SocketShutdown.Both);
                return pings;
            }
        }
    });

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task WriteAsync(NetworkStream stream, byte type, byte flags, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        (frame[0], frame[1], frame[2], frame[3], frame[4]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame, _stop.Token);
    }
}

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// A minimal HTTP/2 server with prior knowledge (h2c) on loopback, written frame by frame so a test controls exactly
/// what it answers: it records every PING the client sends, acknowledges them while <see cref="AnswerPings"/> is set,
/// and answers each request with an empty 200 while <see cref="AnswerRequests"/> is set.
/// </summary>
internal sealed class RawH2cServer : IAsyncDisposable
{
    private const byte Headers = 1;
    private const byte Settings = 4;
    private const byte Ping = 6;
    private const byte Ack = 1;
    private const byte EndStreamAndHeaders = 0x5;
    private static readonly byte[] Status200 = [0x88]; // HPACK static table index 8, ":status: 200"

    private readonly LoopbackAcceptor _acceptor;

    public RawH2cServer() => _acceptor = new LoopbackAcceptor(ServeAsync);

    public Uri BaseAddress => _acceptor.BaseAddress;

    public volatile bool AnswerPings = true;

    public volatile bool AnswerRequests = true;

    /// <summary>
    /// Gets the time (Stopwatch timestamp) of every keep-alive PING received. SocketsHttpHandler also sends PINGs to
    /// measure the round trip, with negative payloads; those are not counted.
    /// </summary>
    public ConcurrentQueue<long> Pings { get; } = new();

    /// <summary>Gets a task that completes when a client closes or resets its connection.</summary>
    public TaskCompletionSource<long> ConnectionClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket);
        try
        {
            await stream.ReadExactlyAsync(new byte[24], stopping); // the client preface
            await WriteFrameAsync(stream, Settings, 0, 0, []);
            var header = new byte[9];
            while (true)
            {
                await stream.ReadExactlyAsync(header, stopping);
                var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
                await stream.ReadExactlyAsync(payload, stopping);
                var (type, flags) = (header[3], header[4]);
                var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFF_FFFF);
                if (type == Settings && (flags & Ack) == 0)
                {
                    await WriteFrameAsync(stream, Settings, Ack, 0, []);
                }
                else if (type == Ping && (flags & Ack) == 0)
                {
                    if (BinaryPrimitives.ReadInt64BigEndian(payload) > 0)
                    {
                        Pings.Enqueue(Stopwatch.GetTimestamp());
                    }

                    if (AnswerPings)
                    {
                        await WriteFrameAsync(stream, Ping, Ack, 0, payload);
                    }
                }
                else if (type == Headers && AnswerRequests)
                {
                    await WriteFrameAsync(stream, Headers, EndStreamAndHeaders, streamId, Status200);
                }
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            ConnectionClosed.TrySetResult(Stopwatch.GetTimestamp());
        }
        catch (OperationCanceledException)
        {
            // The server is being disposed.
        }
    }

    private async Task WriteFrameAsync(Stream stream, byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame, _acceptor.Stopping);
    }
}

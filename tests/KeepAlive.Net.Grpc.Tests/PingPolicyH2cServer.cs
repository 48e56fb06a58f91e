using System.Buffers.Binary;
using KeepAlive.Net.Tests.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeepAlive.Net.Grpc.Tests;

/// <summary>
/// A gRPC server written frame by frame (h2c) that enforces a keep-alive ping policy the way grpc-go's server does
/// (<c>keepalive.EnforcementPolicy</c>, http2_server.go handlePing): a PING sooner than <see cref="MinTime"/> after the
/// previous one is a strike, and so is any PING on a connection with no stream open unless <see cref="PermitWithoutStream"/>
/// (within 2 hours of the previous one); strikes are forgiven once the server has sent headers or data since; after two
/// strikes the next one gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and the connection is closed. Kestrel enforces
/// nothing of the kind. Every call is answered with an empty message and grpc-status 0; a call whose request message
/// contains the text "slow" is answered after <see cref="SlowCall"/>.
/// </summary>
internal sealed class PingPolicyH2cServer : IAsyncDisposable
{
    public const uint EnhanceYourCalm = 0xb;
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7;
    private const int MaxPingStrikes = 2;
    private static readonly TimeSpan PingWithoutStreamMinimum = TimeSpan.FromHours(2);
    private readonly LoopbackAcceptor _acceptor;
    private int _connections;
    private int _pings;
    private int _strikes;
    private int _goAways;

    public PingPolicyH2cServer(TimeSpan minTime, bool permitWithoutStream)
    {
        (MinTime, PermitWithoutStream) = (minTime, permitWithoutStream);
        _acceptor = new LoopbackAcceptor(ServeAsync);
    }

    public TimeSpan MinTime { get; }

    public bool PermitWithoutStream { get; }

    public TimeSpan SlowCall { get; init; } = TimeSpan.FromSeconds(6);

    public Uri BaseAddress => _acceptor.BaseAddress;

    public int Connections => Volatile.Read(ref _connections);

    public int Pings => Volatile.Read(ref _pings);

    /// <summary>Gets the most strikes any connection collected.</summary>
    public int MaxStrikes => Volatile.Read(ref _strikes);

    /// <summary>Gets how many GOAWAY "too_many_pings" were sent.</summary>
    public int TooManyPings => Volatile.Read(ref _goAways);

    public ValueTask DisposeAsync() => _acceptor.DisposeAsync();

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        Interlocked.Increment(ref _connections);
        using var owned = socket;
        await using var stream = new NetworkStream(socket);
        var writeLock = new SemaphoreSlim(1, 1);
        var open = new HashSet<int>();
        var slowStreams = new HashSet<int>();
        var strikes = 0;
        var sentSincePing = 1;
        long? lastPing = null;
        try
        {
            await stream.ReadExactlyAsync(new byte[24], stopping); // the client preface
            await WriteAsync(stream, writeLock, Settings, 0, 0, []);
            var header = new byte[9];
            while (true)
            {
                await stream.ReadExactlyAsync(header, stopping);
                var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
                await stream.ReadExactlyAsync(payload, stopping);
                var (type, flags, streamId) = (header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue);
                switch (type)
                {
                    case Settings when (flags & 1) == 0:
                        await WriteAsync(stream, writeLock, Settings, 1, 0, []);
                        break;
                    case Headers:
                        lock (open)
                        {
                            open.Add(streamId);
                        }

                        if ((flags & 1) != 0)
                        {
                            Answer(streamId, slow: false);
                        }

                        break;
                    case Data:
                        // The request message and its END_STREAM may come in one DATA frame or two (the second empty).
                        if (Encoding.ASCII.GetString(payload).Contains("slow", StringComparison.Ordinal))
                        {
                            slowStreams.Add(streamId);
                        }

                        if ((flags & 1) != 0)
                        {
                            Answer(streamId, slow: slowStreams.Remove(streamId));
                        }

                        break;
                    case RstStream:
                        lock (open)
                        {
                            open.Remove(streamId);
                        }

                        break;
                    case Ping when (flags & 1) == 0:
                        Interlocked.Increment(ref _pings);
                        await WriteAsync(stream, writeLock, Ping, 1, 0, payload);
                        if (Strike())
                        {
                            Interlocked.Increment(ref _goAways);
                            var goAway = new byte[8 + "too_many_pings".Length];
                            BinaryPrimitives.WriteUInt32BigEndian(goAway.AsSpan(4), EnhanceYourCalm);
                            Encoding.ASCII.GetBytes("too_many_pings").CopyTo(goAway, 8);
                            await WriteAsync(stream, writeLock, GoAway, 0, 0, goAway);
                            await Task.Delay(100, stopping);
                            return;
                        }

                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or EndOfStreamException)
        {
            // The client closed the connection, or the server stopped.
        }

        bool Strike()
        {
            var now = Stopwatch.GetTimestamp();
            var previous = lastPing;
            lastPing = now;
            if (Interlocked.Exchange(ref sentSincePing, 0) != 0)
            {
                strikes = 0;
                return false;
            }

            int streams;
            lock (open)
            {
                streams = open.Count;
            }

            var minimum = streams < 1 && !PermitWithoutStream ? PingWithoutStreamMinimum : MinTime;
            if (previous is { } last && Stopwatch.GetElapsedTime(last, now) < minimum)
            {
                strikes++;
                InterlockedMax(ref _strikes, strikes);
            }

            return strikes > MaxPingStrikes;
        }

        void Answer(int streamId, bool slow)
        {
            _ = Task.Run(async () =>
            {
                if (slow)
                {
                    await Task.Delay(SlowCall, stopping);
                }

                await WriteAsync(stream, writeLock, Headers, 0x4, streamId, [0x88, .. Literal("content-type", "application/grpc")]);
                await WriteAsync(stream, writeLock, Data, 0, streamId, [0, 0, 0, 0, 0]); // one empty message
                await WriteAsync(stream, writeLock, Headers, 0x5, streamId, Literal("grpc-status", "0"));
                Interlocked.Exchange(ref sentSincePing, 1); // grpc-go forgives strikes once it has sent headers or data
                lock (open)
                {
                    open.Remove(streamId);
                }
            }, stopping);
        }
    }

    private static byte[] Literal(string name, string value) =>
        [0x00, (byte)name.Length, .. Encoding.ASCII.GetBytes(name), (byte)value.Length, .. Encoding.ASCII.GetBytes(value)];

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private async Task WriteAsync(NetworkStream stream, SemaphoreSlim writeLock, byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        (frame[0], frame[1], frame[2], frame[3], frame[4]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await writeLock.WaitAsync(_acceptor.Stopping);
        try
        {
            await stream.WriteAsync(frame, _acceptor.Stopping);
        }
        finally
        {
            writeLock.Release();
        }
    }
}

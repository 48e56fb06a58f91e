using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// The client ends of the soak: N TCP connections to the peer, each with OS keep-alive configured through the
/// library, sending a one-byte heartbeat per beat and remembering any connection that failed.
/// </summary>
internal sealed class SoakConnections : IDisposable
{
    private const int ConnectParallelism = 64;
    private static readonly byte[] Payload = [0x2A];

    private readonly Socket?[] _sockets;
    private readonly bool[] _failed;
    private long _bytesSent;
    private long _failures;

    private SoakConnections(int count)
    {
        _sockets = new Socket?[count];
        _failed = new bool[count];
    }

    public int Count => _sockets.Length;

    public Socket SocketAt(int index) => _sockets[index]!;

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long SendFailures => Interlocked.Read(ref _failures);

    public static async Task<SoakConnections> ConnectAsync(int count, int port)
    {
        var connections = new SoakConnections(count);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var keepAlive = new TcpKeepAliveOptions { IdleTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(10), ProbeCount = 3 };
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (i, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                connections._sockets[i] = socket;
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                socket.ConfigureKeepAlive(keepAlive);

                // The application's first message (a handshake), sent as applications send: asynchronously. A connection an
                // application talks on has the framework's send state; only a never-used socket allocates it on its first
                // heartbeat (about 700 B, so a burst's first round would also measure the GCs of that allocation).
                if (await socket.SendAsync(Payload, SocketFlags.None, cancellationToken).ConfigureAwait(false) == Payload.Length)
                {
                    Interlocked.Increment(ref connections._bytesSent);
                }
            }).ConfigureAwait(false);
            return connections;
        }
        catch
        {
            connections.Dispose();
            throw;
        }
    }

    /// <summary>Sends one heartbeat byte on connection <paramref name="index"/>; a failure marks the connection lost.</summary>
    public void Send(int index)
    {
        try
        {
            if (_sockets[index]!.Send(Payload, SocketFlags.None) == Payload.Length)
            {
                Interlocked.Increment(ref _bytesSent);
                return;
            }
        }
        catch (SocketException)
        {
            // Lost; counted below.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _failed[index] = true;
        Interlocked.Increment(ref _failures);
    }

    /// <summary>KeepAlive.Net's built-in socket heartbeat for connection <paramref name="index"/>, counting the byte it sends.</summary>
    public Func<HeartbeatContext, ValueTask> HeartbeatFor(int index)
    {
        var send = SocketHeartbeat.Create(_sockets[index]!, Payload);
        return context =>
        {
            Interlocked.Increment(ref _bytesSent);
            return send(context);
        };
    }

    /// <summary>
    /// The bare-send baseline: the same one-byte payload with a plain blocking <see cref="Socket.Send(byte[], SocketFlags)"/>,
    /// round-robin over every connection on this thread, for at most <paramref name="duration"/> and
    /// <paramref name="maxRounds"/> rounds (so no receive buffer fills). Returns the number of sends.
    /// </summary>
    public long SendLoop(TimeSpan duration, int maxRounds)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long calls = 0;
        for (var round = 0; round < maxRounds && Stopwatch.GetTimestamp() < until; round++)
        {
            for (var i = 0; i < _sockets.Length; i++)
            {
                Send(i);
            }

            calls += _sockets.Length;
        }

        return calls;
    }

    /// <summary>Connections that failed a send, or whose peer has closed (readable with nothing to read), or are no longer connected.</summary>
    public int CountLost()
    {
        var lost = 0;
        for (var i = 0; i < _sockets.Length; i++)
        {
            var socket = _sockets[i];
            var closedByPeer = socket is not null && socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            if (_failed[i] || socket is null || !socket.Connected || closedByPeer)
            {
                lost++;
            }
        }

        return lost;
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }
    }
}

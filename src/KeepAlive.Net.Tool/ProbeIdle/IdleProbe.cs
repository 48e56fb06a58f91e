using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>
/// One connection held silent for a chosen time, then asked whether the path still knows it: one byte of data is sent
/// and TCP_INFO is watched until the kernel sees it acknowledged. No ACK within the bound (the flow was dropped), or a
/// RST (it was reset), means the path forgot the flow. The byte is a space, which text and TLS servers alike keep
/// waiting for more after; the connection is then reset, so nothing is left behind.
/// </summary>
internal sealed class IdleProbe : IDisposable
{
    private static readonly byte[] Nudge = " "u8.ToArray();
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private readonly Socket _socket;
    private readonly TimeSpan _handshake;
    private readonly Task<ProbeVerdict?> _receive;
    private long _lastHeard;
    private long _closedAt;

    private IdleProbe(Socket socket)
    {
        _socket = socket;
        _lastHeard = Stopwatch.GetTimestamp();
        _handshake = RoundTrip ?? TimeSpan.Zero;
        _receive = ReceiveAsync();
    }

    /// <summary>
    /// A close (FIN or RST) this soon after the last packet, plus two round trips (our ACK reaching the server, its FIN
    /// coming back), is the server turning the connection away, not an idle timeout: no idle period worth the name
    /// was held (nothing listens behind a proxy or port forward, a client refused, a server full). It leaves room for a
    /// loaded machine's scheduling; no NAT or server times out an idle flow that fast, and a peer's idle timeout under
    /// 1 s (Heartbeat:PeerIdleTimeout's floor) gets no profile anyway.
    /// </summary>
    public static readonly TimeSpan AtOnce = TimeSpan.FromMilliseconds(100);

    public static async Task<IdleProbe> ConnectAsync(IPEndPoint peer, HostAndPort target, CancellationToken cancellationToken)
    {
        var socket = new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await Target.ConnectAsync(socket, peer, target, cancellationToken);
            return new IdleProbe(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The kernel's smoothed round-trip time (TCP_INFO), or <see langword="null"/> where it cannot be read.</summary>
    public TimeSpan? RoundTrip => TcpInfoSnapshot.TryRead(_socket)?.RoundTrip;

    /// <summary>
    /// Stays silent until nothing has crossed the connection for <paramref name="silence"/>, sends one byte and waits at
    /// most <paramref name="ackBound"/> for its ACK. Cancelled before the byte leaves, it returns <see langword="null"/>; a
    /// server that does not let the connection go silent that long within twice the silence gives <see cref="ProbeVerdict.ServerTalks"/>.
    /// </summary>
    public async Task<ProbeOutcome?> RunAsync(TimeSpan silence, TimeSpan ackBound, CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.GetTimestamp();
        while (true)
        {
            var quiet = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard));
            if (_receive.IsCompleted)
            {
                // The silence the server allowed ends at its FIN or RST (ReceiveAsync's clock), not at this look.
                var ended = await _receive ?? ProbeVerdict.ClosedByServer;
                var allowed = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard), Interlocked.Read(ref _closedAt));
                return new ProbeOutcome(silence, allowed,
                    ended is ProbeVerdict.ClosedByServer or ProbeVerdict.Reset && allowed < AtOnce + (2 * _handshake) ? ProbeVerdict.ClosedAtOnce : ended);
            }

            if (quiet >= silence)
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(waiting) >= silence * 2)
            {
                // Twice the silence and still not silent that long: the server keeps sending (a banner restarts it once).
                return new ProbeOutcome(silence, quiet, ProbeVerdict.ServerTalks);
            }

            try
            {
                await Task.WhenAny(_receive, Task.Delay(silence - quiet, cancellationToken));
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        // The silence ends when the byte leaves, somewhere between these two readings: a survival counts the shorter,
        // a loss the longer, so a scheduling delay in between can only widen the bounds, never put them on the wrong side.
        var before = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard));
        try
        {
            _socket.Send(Nudge);
        }
        catch (SocketException)
        {
            return new ProbeOutcome(silence, Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard)), ProbeVerdict.Reset);
        }

        var after = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard));

        var sent = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(sent) < ackBound)
        {
            // A RST empties the send queue too: an unacknowledged count of 0 means an ACK only while the connection stands.
            var info = TcpInfoSnapshot.TryRead(_socket);
            if ((_receive.IsCompleted && await _receive == ProbeVerdict.Reset) || info?.State == "CLOSE")
            {
                return new ProbeOutcome(silence, after, ProbeVerdict.Reset);
            }

            if (info is { Unacked: 0, State: "ESTABLISHED" or "CLOSE_WAIT" })
            {
                return new ProbeOutcome(silence, before, ProbeVerdict.Alive);
            }

            await Task.Delay(Poll, CancellationToken.None);
        }

        return new ProbeOutcome(silence, after, ProbeVerdict.Dropped);
    }

    /// <summary>Resets the connection (SO_LINGER 0): a probe leaves nothing half-open behind.</summary>
    public void Dispose()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }

        _socket.Dispose();
    }

    /// <summary>Reads whatever the server sends (a banner restarts the silence); ends with a FIN (<see langword="null"/>) or a RST.</summary>
    private async Task<ProbeVerdict?> ReceiveAsync()
    {
        var buffer = new byte[512];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
                Interlocked.Exchange(ref _lastHeard, Stopwatch.GetTimestamp());
            }

            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return ProbeVerdict.Reset;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return ProbeVerdict.Dropped;
        }
        finally
        {
            Interlocked.Exchange(ref _closedAt, Stopwatch.GetTimestamp());
        }
    }
}

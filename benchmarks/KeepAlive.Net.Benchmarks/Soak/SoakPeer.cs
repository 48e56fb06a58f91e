using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// <c>soak-peer</c>: the far side of the soak, in its own process so each side has its own descriptor limit.
/// Listens on 127.0.0.1, prints <c>PORT n</c>, reads every accepted connection (as data arrives, or only once stopping:
/// <see cref="SoakPeerReads"/>), and on <c>STOP expectedBytes</c>
/// on standard input waits (at most <see cref="DrainTimeout"/>) for those bytes, then prints a <see cref="PeerReport"/>.
/// </summary>
internal static class SoakPeer
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static int Run(TextReader input, TextWriter output, SoakPeerReads reads)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var state = new PeerState { ReadsAtStop = reads == SoakPeerReads.AtStop };
        using var stopping = new CancellationTokenSource();
        var accepting = AcceptAsync(listener, state, stopping.Token);
        output.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        output.Flush();

        var command = input.ReadLine() ?? string.Empty;
        var expected = command.StartsWith("STOP ", StringComparison.Ordinal)
            ? long.Parse(command[5..], NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 0;
        state.StartReading();
        var waiting = Stopwatch.StartNew();
        while (Interlocked.Read(ref state.Received) < expected && waiting.Elapsed < DrainTimeout)
        {
            Thread.Sleep(10);
        }

        stopping.Cancel();
        state.Stopped = true;
        output.WriteLine(new PeerReport(Interlocked.Read(ref state.Received), Interlocked.Read(ref state.Accepted), Interlocked.Read(ref state.ClosedEarly), Process.GetCurrentProcess().TotalProcessorTime).Format());
        output.Flush();
        GC.KeepAlive(accepting);
        return 0;
    }

    private static async Task AcceptAsync(Socket listener, PeerState state, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref state.Accepted);
                if (!state.Hold(socket))
                {
                    _ = ReceiveAsync(socket, state);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private static async Task ReceiveAsync(Socket socket, PeerState state)
    {
        var buffer = new byte[64];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false)) > 0)
            {
                Interlocked.Add(ref state.Received, read);
            }
        }
        catch (SocketException)
        {
            // Counted below as closed early unless we are stopping.
        }

        if (!state.Stopped)
        {
            Interlocked.Increment(ref state.ClosedEarly);
        }

        socket.Dispose();
    }

    private sealed class PeerState
    {
        private readonly List<Socket> _held = [];
        private bool _reading;

#pragma warning disable SA1401, CA1051 // Fields, so Interlocked can update them.
        public long Received;
        public long Accepted;
        public long ClosedEarly;
        public volatile bool Stopped;
#pragma warning restore SA1401, CA1051

        public bool ReadsAtStop { get; init; }

        /// <summary>Keeps an accepted connection unread until <see cref="StartReading"/> when reading at stop; false: read it now.</summary>
        public bool Hold(Socket socket)
        {
            lock (_held)
            {
                if (!ReadsAtStop || _reading)
                {
                    return false;
                }

                _held.Add(socket);
                return true;
            }
        }

        /// <summary>Starts reading every connection held so far (the soak is stopping); later ones are read as they come.</summary>
        public void StartReading()
        {
            lock (_held)
            {
                _reading = true;
                foreach (var socket in _held)
                {
                    _ = ReceiveAsync(socket, this);
                }

                _held.Clear();
            }
        }
    }
}

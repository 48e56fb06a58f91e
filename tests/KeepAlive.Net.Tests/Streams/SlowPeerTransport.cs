using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>
/// A transport as Kestrel's on a real loopback connection: the application writes to a <see cref="Pipe"/> that a send loop
/// copies to the socket, behind a peer that reads slowly. The application's write of <see cref="Message"/> waits for the pipe
/// to drain, and its token (a send timeout) ends that wait; a Pipe commits the bytes before it waits, so the message is whole
/// in the pipe and leaves whole once the peer reads.
/// </summary>
internal sealed class SlowPeerTransport : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15); // generous: a loaded 2-core machine
    private readonly LoopbackConnection _connection = LoopbackConnection.Open();
    private readonly ConcurrentQueue<string> _deaths = new();

    public SlowPeerTransport(CancellationToken cancellationToken)
    {
        _connection.Client.SendBufferSize = 4096;
        _connection.Server.ReceiveBufferSize = 64 << 10; // fixed: a receive buffer the kernel grows (to megabytes) would take the message while the peer does not read
        Network = new NetworkStream(_connection.Client, ownsSocket: false);
        SendLoop = Pipe.Reader.CopyToAsync(Network, cancellationToken);
    }

    /// <summary>Gets the application's message: far more than the socket buffers and the pipe's pause threshold take.</summary>
    public static byte[] Message { get; } = Enumerable.Repeat((byte)'m', 4 << 20).ToArray();

    /// <summary>Gets the heartbeat's payload.</summary>
    public static byte[] Heartbeat => "|HB|"u8.ToArray();

    /// <summary>Gets the transport's pipe: the application writes to its writer, the send loop reads it.</summary>
    public Pipe Pipe { get; } = new(new PipeOptions(pauseWriterThreshold: 16 << 10, resumeWriterThreshold: 8 << 10, useSynchronizationContext: false));

    /// <summary>Gets the application's side of the connection as a stream (the send loop writes to it).</summary>
    public NetworkStream Network { get; }

    /// <summary>Gets the peer's socket.</summary>
    public Socket Server => _connection.Server;

    private Task SendLoop { get; }

    /// <summary>Gets heartbeats sent every <paramref name="interval"/>, whatever the traffic.</summary>
    public static HeartbeatOptions Beats(TimeSpan interval) => new() { Mode = HeartbeatMode.FixedRate, Interval = interval, Spread = TimeSpan.Zero };

    /// <summary>Runs the application's <paramref name="write"/> with a send timeout of 500 ms, which ends it while it waits for the peer.</summary>
    public static async Task SendTimesOutAsync(Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var sendTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        sendTimeout.CancelAfter(TimeSpan.FromMilliseconds(500));
        await write.Awaiting(w => w(sendTimeout.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    /// <summary>Records <paramref name="registration"/>'s PeerDead reasons.</summary>
    public HeartbeatRegistration Watch(HeartbeatRegistration registration)
    {
        registration.PeerDead += (_, e) => _deaths.Enqueue(e.Reason);
        return registration;
    }

    /// <summary>Once the peer has read the message: no PeerDead was raised, and the heartbeats go on.</summary>
    public async Task AssertHeartbeatsGoOnAsync(HeartbeatRegistration registration, ReceivedBytes received, CancellationToken cancellationToken)
    {
        await received.WaitForAsync(b => b.Length >= Message.Length, cancellationToken);
        var sentBefore = registration.GetStatistics().Sent;
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= sentBefore + 2 || !_deaths.IsEmpty, Bound);

        _deaths.Should().BeEmpty("the cancelled call left its whole message in the pipe: nothing was cut, the connection is fine");
        registration.GetStatistics().Sent.Should().BeGreaterThanOrEqualTo(sentBefore + 2, "the heartbeats go on once the peer reads");
    }

    /// <summary>Once the application completed the pipe's writer: the peer read whole heartbeats, the message whole, then only whole heartbeats (and <paramref name="next"/>, whole, if it went out).</summary>
    public async Task AssertMessageWholeThenOnlyHeartbeatsAsync(ReceivedBytes received, CancellationToken cancellationToken, byte[]? next = null)
    {
        var wire = await WireAsync(received, cancellationToken);
        var start = 0;
        while (wire.AsSpan(start).StartsWith(Heartbeat))
        {
            start += Heartbeat.Length; // sent before the application's write began (a loaded machine may run the scheduler first)
        }

        wire.AsSpan(start).StartsWith(Message).Should().BeTrue("the message leaves whole, no heartbeat within it");
        var after = start + Message.Length;
        var heartbeats = $"(?:{Regex.Escape(Encoding.ASCII.GetString(Heartbeat))})*";
        var nextWhole = next is null ? string.Empty : $"(?:{Regex.Escape(Encoding.ASCII.GetString(next))}{heartbeats})?";
        Encoding.ASCII.GetString(wire, after, wire.Length - after).Should().MatchRegex($"^{heartbeats}{nextWhole}$", "only whole heartbeats follow it (and the next message, whole)");
    }

    /// <summary>Once the application completed the pipe's writer: everything the peer read, to the end of the connection.</summary>
    public async Task<byte[]> WireAsync(ReceivedBytes received, CancellationToken cancellationToken)
    {
        await SendLoop.WaitAsync(Bound, cancellationToken);
        _connection.Client.Shutdown(SocketShutdown.Send);
        await received.Completion.WaitAsync(Bound, cancellationToken);
        return received.Snapshot();
    }

    public void Dispose()
    {
        Network.Dispose();
        _connection.Dispose();
    }
}

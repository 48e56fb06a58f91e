using System.Net.Sockets;
using System.Runtime.InteropServices;
using KeepAlive.Net.Tcp;
using KeepAlive.Net.Tcp.Backends;

namespace KeepAlive.Net;

/// <summary>
/// The built-in heartbeat: sends a fixed payload on a connected stream <see cref="Socket"/> with
/// <see cref="Socket.SendAsync(SocketAsyncEventArgs)"/>, straight from the scheduler's
/// thread, so a send that cannot complete (full send buffer, zero window) never blocks a scheduler thread; it is
/// reported as blocked after <see cref="HeartbeatOptions.BlockedCallbackThreshold"/>, and when the registration is
/// disposed the heartbeat stops waiting for it (it fails with <see cref="OperationCanceledException"/>; the bytes already
/// queued on the socket still leave when the peer makes room, or fail with the socket). Lateness is measured at the
/// moment the payload is handed to the kernel. A send that fails for good (connection reset or aborted, socket shut down
/// or disposed) declares the peer dead once and ends the registration; any other failure is counted and retried at the
/// next heartbeat. Its own state is the socket, the payload and one delegate: about 104 bytes per connection; the sends
/// share one <see cref="SocketAsyncEventArgs"/> per scheduler thread, so the socket keeps none of its own for them.
/// </summary>
/// <remarks>
/// The heartbeat writes to the socket on its own: if the application writes one message in several calls, a heartbeat
/// can land between two of them. Protocols with framed messages should send heartbeats through the application's own
/// write path (see docs/HEARTBEATS.md), not with this class.
/// </remarks>
public static class SocketHeartbeat
{
    /// <summary>Creates a callback that sends <paramref name="payload"/> on <paramref name="socket"/>.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="payload">The heartbeat bytes of the application protocol; the memory must stay unchanged while registered.</param>
    /// <returns>The callback for <see cref="IHeartbeatScheduler.Register"/>.</returns>
    /// <exception cref="ArgumentException">The socket is not a connected stream socket, or the payload is empty.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public static Func<HeartbeatContext, ValueTask> Create(Socket socket, ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (payload.IsEmpty)
        {
            throw new ArgumentException("The heartbeat payload is empty; a zero-byte send puts nothing on the wire and refreshes no idle timer. Fix: pass the application protocol's heartbeat or ping message.", nameof(payload));
        }

        CheckSocket(socket);

        return new SocketBeat(socket, payload).SendAsync;
    }

    /// <summary>Registers a heartbeat that sends <paramref name="payload"/> on <paramref name="socket"/>.</summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="payload">The heartbeat bytes of the application protocol.</param>
    /// <param name="options">When to send; validated.</param>
    /// <returns>The registration; dispose it before closing the socket.</returns>
    /// <exception cref="ArgumentException">The socket is not a connected stream socket (UDP, listening, not yet connected), the payload is empty, or the options are invalid.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public static HeartbeatRegistration RegisterSocket(this IHeartbeatScheduler scheduler, Socket socket, ReadOnlyMemory<byte> payload, HeartbeatOptions options)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return scheduler.Register(options, Create(socket, payload));
    }

    /// <summary>Registers a heartbeat that sends <paramref name="payload"/> on the socket of a connected <see cref="TcpClient"/>.</summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="client">A connected client.</param>
    /// <param name="payload">The heartbeat bytes of the application protocol.</param>
    /// <param name="options">When to send; validated.</param>
    /// <returns>The registration; dispose it before closing the client.</returns>
    /// <exception cref="ArgumentException">The client is not connected, the payload is empty, or the options are invalid.</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    public static HeartbeatRegistration RegisterSocket(this IHeartbeatScheduler scheduler, TcpClient client, ReadOnlyMemory<byte> payload, HeartbeatOptions options)
    {
        return scheduler.RegisterSocket(SocketGuard.SocketOf(client), payload, options);
    }

    /// <summary>
    /// Refuses a heartbeat on a socket it could never be sent on (its own, or the one under a wrapped <see cref="NetworkStream"/>,
    /// which still says CanWrite): disposed, not a stream socket, listening, not connected or shut down.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="ArgumentException">The socket is not a connected stream socket.</exception>
    internal static void CheckSocket(Socket socket)
    {
        if (SocketGuard.IsDisposed(socket))
        {
            throw SocketGuard.Disposed(socket, "The socket is disposed; a heartbeat on it could never be sent. Fix: register the heartbeat right after connecting, and dispose the registration before the socket.");
        }

        if (socket.SocketType != SocketType.Stream)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"The socket is a {socket.SocketType} socket ({socket.ProtocolType}), but heartbeats keep a connection alive: only a connected stream (TCP) socket has one. Fix: register the heartbeat on the TCP connection; a UDP protocol sends its own keep-alive datagrams."), nameof(socket));
        }

        if (IsListening(socket))
        {
            throw new ArgumentException("The socket is listening: it accepts connections but has no peer to send a heartbeat to. Fix: register a heartbeat for each accepted socket (Socket.Accept), or configure the listener with ConfigureKeepAlive so accepted sockets inherit OS keep-alive.", nameof(socket));
        }

        if (!socket.Connected)
        {
            throw new ArgumentException(WasShutDown(socket) switch
            {
                Shutdown.Receiving => "The socket was shut down for receiving (SocketShutdown.Receive): it can still send, but .NET counts a socket shut down in either direction as no longer connected, and the application has stopped reading its peer. Fix: register the heartbeat before shutting the receiving side down (its heartbeats go on being sent after that), or keep the receiving side open.",
                Shutdown.Sending => "The socket was shut down (Socket.Shutdown): the connection is ending, and a heartbeat on it could never be sent. Fix: register the heartbeat while the connection is open, and dispose the registration before shutting the socket down.",
                Shutdown.Never => "The socket is not connected: there is no peer to send a heartbeat to yet. Fix: register the heartbeat after ConnectAsync completes.",
                _ => "The socket is not connected (not yet, or it was shut down): there is no peer to send a heartbeat to. Fix: register the heartbeat after ConnectAsync completes, and dispose the registration before shutting the socket down.",
            }, nameof(socket));
        }
    }

    // .NET forgets a connection once Socket.Shutdown was called (Connected is false as before connecting); Linux's TCP_INFO
    // still knows: its state is CLOSE when never connected (SYN_SENT while a connect is in progress), and a shutdown of the
    // receiving side alone sends nothing, so the connection stays ESTABLISHED (CLOSE_WAIT when the peer had closed its side),
    // where it can still send.
    private static Shutdown WasShutDown(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || !TcpSockets.IsTcp(socket))
        {
            return Shutdown.Unknown;
        }

        Span<byte> info = stackalloc byte[8];
        try
        {
            var linux = NativeOptionNames.Linux;
            return socket.GetRawSocketOption(linux.IpProtoTcp, NativeOptionNames.LinuxTcpInfo, info) <= 0 ? Shutdown.Unknown : info[0] switch
            {
                NativeOptionNames.LinuxTcpStateClose or NativeOptionNames.LinuxTcpStateSynSent or NativeOptionNames.LinuxTcpStateSynReceived => Shutdown.Never,
                NativeOptionNames.LinuxTcpStateEstablished or NativeOptionNames.LinuxTcpStateCloseWait => Shutdown.Receiving,
                _ => Shutdown.Sending,
            };
        }
        catch (SocketException)
        {
            return Shutdown.Unknown;
        }
    }

    // What TCP_INFO says of a socket .NET counts as not connected.
    private enum Shutdown
    {
        Unknown,
        Never,
        Receiving,
        Sending,
    }

    private static bool IsListening(Socket socket)
    {
        try
        {
            return socket.IsBound && !socket.Connected && socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is int value && value != 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>One connection's socket heartbeat: the socket and the payload, and the send the scheduler calls.</summary>
    private sealed class SocketBeat(Socket socket, ReadOnlyMemory<byte> payload)
    {
        public ValueTask SendAsync(HeartbeatContext context)
        {
            context.ReportSendStarted();

            // Almost every heartbeat fits the send buffer and completes here, without a cancellation token (which would cost
            // every registration a cancellation source). One that must wait for room waits cancellably, below.
            var args = SendArgs.Rent(payload);
            try
            {
                if (socket.SendAsync(args))
                {
                    return WaitForRoom(args, context.CancellationToken);
                }
            }
            catch (Exception exception)
            {
                args.Return(); // thrown before the send started (a disposed socket): the args are free
                return ValueTask.FromException(exception);
            }

            var error = args.SocketError;
            args.Return();
            return error == SocketError.Success ? default : ValueTask.FromException(new SocketException((int)error));
        }

        private static async ValueTask WaitForRoom(SendArgs args, CancellationToken cancellationToken)
        {
            await args.WhenCompleted().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (args.SocketError != SocketError.Success)
            {
                throw new SocketException((int)args.SocketError);
            }
        }
    }

    /// <summary>
    /// The <see cref="SocketAsyncEventArgs"/> a thread sends heartbeats with, shared by every socket it sends on:
    /// <c>Socket.SendAsync(ReadOnlyMemory)</c> would cache one on each socket instead (361 B per socket that had none,
    /// measured), kept as long as the socket. A send that completes at once (nearly all) gives it back to the thread; one that
    /// waits for room keeps it until it completes, and the thread makes another.
    /// </summary>
    private sealed class SendArgs() : SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true)
    {
        private static readonly TaskCompletionSource Done = NewDone();

        [ThreadStatic]
        private static SendArgs? t_free;

        private TaskCompletionSource? _waiter; // null while the send runs; Done once it completed

        public static SendArgs Rent(ReadOnlyMemory<byte> payload)
        {
            var args = t_free ?? new SendArgs();
            t_free = null;
            args._waiter = null;
            args.SetBuffer(MemoryMarshal.AsMemory(payload));
            return args;
        }

        public void Return()
        {
            SetBuffer(Memory<byte>.Empty); // the thread's args do not keep a payload alive
            t_free = this;
        }

        /// <summary>A task that completes (never faults) when the pending send has ended; its outcome is <see cref="SocketAsyncEventArgs.SocketError"/>.</summary>
        public Task WhenCompleted()
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return Interlocked.CompareExchange(ref _waiter, waiter, null) is null ? waiter.Task : Task.CompletedTask;
        }

        protected override void OnCompleted(SocketAsyncEventArgs e) => Interlocked.Exchange(ref _waiter, Done)?.TrySetResult();

        private static TaskCompletionSource NewDone()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }
    }
}

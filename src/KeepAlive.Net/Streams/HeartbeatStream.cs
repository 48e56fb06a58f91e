using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Streams;

namespace KeepAlive.Net;

/// <summary>
/// Wraps a connection's <see cref="System.IO.Stream"/> (a <see cref="System.Net.Sockets.NetworkStream"/>, an
/// <see cref="System.Net.Security.SslStream"/>...) so that heartbeats follow the real traffic without hand calls:
/// every write of at least one byte marks <see cref="HeartbeatRegistration.MarkActivity"/>, every read that returns data marks
/// <see cref="HeartbeatRegistration.MarkPeerActivity"/>, and a heartbeat registered through
/// <see cref="RegisterHeartbeat(IHeartbeatScheduler, ReadOnlyMemory{byte}, HeartbeatOptions)"/> takes the same write
/// path as the application, so it never lands in the middle of a message.
/// </summary>
/// <remarks>
/// Writes are serialized: each <c>Write</c>/<c>WriteAsync</c> call is one message, written whole before the next
/// writer or heartbeat starts, so concurrent writers are safe. A message written with several calls goes through a
/// <see cref="HeartbeatWriteScope"/> from <see cref="BeginMessageAsync"/>. Reads are not serialized (one reader, as
/// with any stream). In <see cref="HeartbeatMode.WhenIdle"/> the registration then sends only when the connection
/// really was idle for a whole interval, and its <see cref="HeartbeatOptions.Timeout"/> fires only when nothing was
/// read for that long.
/// <para>
/// The heartbeat never waits for the write path, so thread-pool starvation cannot make the application wait behind it:
/// when the path is free it is written at once from the scheduler's thread; when a message is being written, the thread
/// that ends the message writes the heartbeat right after it (with blocking writes, before the next writer gets in; over a
/// <see cref="Pipe"/>'s writer seen as a stream they do not wait for the pipe's reader), and
/// the heartbeat's lateness is the message's remaining time. A heartbeat callback passed to
/// <see cref="RegisterHeartbeat(IHeartbeatScheduler, HeartbeatOptions, Func{Stream, HeartbeatContext, ValueTask})"/> must
/// therefore only write to the stream it is given (its writes complete synchronously there), not await anything else; a
/// write through this stream from that callback throws <see cref="InvalidOperationException"/> (it would wait for itself).
/// </para>
/// <para>
/// A write or flush of the application that fails after part of its message may have gone out (an <see cref="IOException"/>,
/// a write cancelled while it waited for room) leaves the connection's framing lost: no heartbeat is written after it, and the
/// next heartbeat fails for good, which raises <see cref="HeartbeatRegistration.PeerDead"/> once and ends the registration.
/// Over a <see cref="Pipe"/>'s writer seen as a stream (<see cref="PipeWriter.AsStream(bool)"/>, a transport's pipe), a write or
/// flush cancelled while it waited for the pipe's reader cuts nothing: the pipe took the whole message before it waited.
/// </para>
/// </remarks>
public sealed class HeartbeatStream : Stream
{
    private readonly Stream _inner;
    private readonly PipeWriter? _innerPipe; // the pipe under the inner stream when it is PipeWriter.AsStream()'s (see FlushHeartbeatAsync, PipeWait)
    private readonly bool _leaveOpen;
    // The stream whose heartbeat writer runs on this flow: that writer holds the write path, so a write through the
    // HeartbeatStream itself would wait for it for ever (and every writer after it).
    private static readonly AsyncLocal<HeartbeatStream?> WritingHeartbeat = new();

    private readonly ActivityWritePath _path = new(nameof(HeartbeatStream));
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="HeartbeatStream"/> class.</summary>
    /// <param name="innerStream">The connection's stream.</param>
    /// <param name="leaveOpen">
    /// <see langword="true"/> to leave <paramref name="innerStream"/> open when this stream is disposed, to use it on its own
    /// (to upgrade it to TLS, say): disposing then stops the heartbeat and waits for one still being written to it (one
    /// waiting for room from a slow peer) at most the inner stream's <see cref="Stream.WriteTimeout"/>, then throws
    /// <see cref="IOException"/>, so the stream comes back free. Over a <see cref="Pipe"/>'s writer seen as a stream
    /// (<see cref="PipeWriter.AsStream(bool)"/>), which has no write timeout, disposing ends that heartbeat's wait for the
    /// pipe's reader at once: its bytes stay whole in the pipe and leave when the peer reads.
    /// </param>
    public HeartbeatStream(Stream innerStream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(innerStream);
        _inner = innerStream;
        _innerPipe = PipeWriterUnder(innerStream);
        _leaveOpen = leaveOpen;
    }

    /// <summary>Gets the wrapped stream. Writing to it directly bypasses the write path (a heartbeat could split that write).</summary>
    public Stream InnerStream => _inner;

    /// <summary>Gets the registration whose activity this stream marks, or <see langword="null"/> before one is registered or tracked.</summary>
    public HeartbeatRegistration? Registration => _path.Registration;

    /// <inheritdoc/>
    public override bool CanRead => !IsDisposed && _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => !IsDisposed && _inner.CanWrite;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanTimeout => _inner.CanTimeout;

    /// <inheritdoc/>
    public override int ReadTimeout
    {
        get => _inner.ReadTimeout;
        set => _inner.ReadTimeout = value;
    }

    /// <inheritdoc/>
    public override int WriteTimeout
    {
        get => _inner.WriteTimeout;
        set => _inner.WriteTimeout = value;
    }

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // How long a blocking write waits for the path, and Dispose (leaveOpen) for a heartbeat still being written, as a write to
    // the inner stream may wait: its WriteTimeout when it can time out, for ever otherwise. Read only when needed (a
    // NetworkStream reads it from its socket, a socket option): a connection already closed (a PeerDead handler that closed the
    // socket) has none to read, and neither may throw the socket's ObjectDisposedException for it: a heartbeat write still on
    // the closed socket is aborted, so the wait ends; a blocking write then fails as the inner stream's own write does, as an
    // asynchronous one does.
    private int InnerWriteTimeout
    {
        get
        {
            try
            {
                return _inner.CanTimeout && _inner.WriteTimeout > 0 ? _inner.WriteTimeout : Timeout.Infinite;
            }
            catch (ObjectDisposedException)
            {
                return Timeout.Infinite;
            }
        }
    }

    /// <summary>Registers a heartbeat that writes <paramref name="payload"/> (then flushes) through this stream's write path, and tracks its activity.</summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="payload">The heartbeat message of the application protocol, complete (with its frame header if the protocol has one); must stay unchanged while registered.</param>
    /// <param name="options">When to send; validated.</param>
    /// <returns>The registration; disposing this stream disposes it.</returns>
    /// <exception cref="ArgumentException">The payload is empty, the options are invalid, or the socket under the wrapped <see cref="NetworkStream"/> (or under the <see cref="SslStream"/> over it) was shut down.</exception>
    /// <exception cref="InvalidOperationException">This stream already has a registration.</exception>
    /// <exception cref="NotSupportedException">The wrapped stream cannot be written (read-only, already closed, or an <see cref="SslStream"/> before its handshake), so no heartbeat could be sent.</exception>
    /// <exception cref="ObjectDisposedException">This stream is disposed, or was disposed while the heartbeat was registered (the registration is then stopped), or the socket under the wrapped <see cref="NetworkStream"/> (or under the <see cref="SslStream"/> over it) is closed.</exception>
    public HeartbeatRegistration RegisterHeartbeat(IHeartbeatScheduler scheduler, ReadOnlyMemory<byte> payload, HeartbeatOptions options)
    {
        ActivityWritePath.CheckPayload(payload);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfInnerNotWritable();
        return Registered(_path.Register(scheduler, options, (context, synchronous) => WritePayload(payload, context, synchronous)));
    }

    /// <summary>
    /// Registers a heartbeat written by <paramref name="writeHeartbeat"/> through this stream's write path (for a
    /// heartbeat whose bytes change, such as a numbered ping), and tracks its activity. The stream passed to the callback
    /// holds the write path until the callback completes; it is flushed afterwards.
    /// </summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="options">When to send; validated.</param>
    /// <param name="writeHeartbeat">Writes one heartbeat to the given stream; observe the context's cancellation token. A call that writes nothing counts as a failed heartbeat, not a sent one; one that fails after writing part of its heartbeat raises <see cref="HeartbeatRegistration.PeerDead"/> and ends the registration, since the peer would read the next message as the heartbeat's rest.</param>
    /// <returns>The registration; disposing this stream disposes it.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or the socket under the wrapped <see cref="NetworkStream"/> (or under the <see cref="SslStream"/> over it) was shut down.</exception>
    /// <exception cref="InvalidOperationException">This stream already has a registration.</exception>
    /// <exception cref="NotSupportedException">The wrapped stream cannot be written (read-only, already closed, or an <see cref="SslStream"/> before its handshake), so no heartbeat could be sent.</exception>
    /// <exception cref="ObjectDisposedException">This stream is disposed, or was disposed while the heartbeat was registered (the registration is then stopped), or the socket under the wrapped <see cref="NetworkStream"/> (or under the <see cref="SslStream"/> over it) is closed.</exception>
    public HeartbeatRegistration RegisterHeartbeat(IHeartbeatScheduler scheduler, HeartbeatOptions options, Func<Stream, HeartbeatContext, ValueTask> writeHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(writeHeartbeat);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfInnerNotWritable();
        return Registered(_path.Register(scheduler, options, (context, synchronous) => WriteCustom(writeHeartbeat, context, synchronous)));
    }

    /// <summary>Marks the activity of a registration whose heartbeat is sent some other way (the caller keeps ownership of it).</summary>
    /// <param name="registration">The registration.</param>
    /// <exception cref="InvalidOperationException">This stream already has a registration.</exception>
    /// <exception cref="ObjectDisposedException">The registration has ended (disposed, its peer declared dead, or its scheduler stopped).</exception>
    public void TrackActivity(HeartbeatRegistration registration)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _path.Track(registration);
    }

    /// <summary>Waits for the write path and holds it for one message written with several writes.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The scope; write through its <see cref="HeartbeatWriteScope.Stream"/> and dispose it when the message is complete.</returns>
    /// <exception cref="ObjectDisposedException">This stream is disposed, or was disposed while the call waited for the write path (nothing was written).</exception>
    /// <exception cref="InvalidOperationException">Called from this stream's own heartbeat writer, which holds the write path.</exception>
    public ValueTask<HeartbeatWriteScope> BeginMessageAsync(CancellationToken cancellationToken = default) =>
        EnterMessageAsync(nameof(BeginMessageAsync), cancellationToken);

    /// <summary>
    /// Waits (blocking) for the write path and holds it for one message written with several writes; when the wrapped stream
    /// can time out, for at most its <see cref="Stream.WriteTimeout"/>, as a write to it would.
    /// </summary>
    /// <returns>The scope; write through its <see cref="HeartbeatWriteScope.Stream"/> and dispose it when the message is complete.</returns>
    /// <exception cref="ObjectDisposedException">This stream is disposed, or was disposed while the call waited for the write path (nothing was written).</exception>
    /// <exception cref="InvalidOperationException">Called from this stream's own heartbeat writer, which holds the write path.</exception>
    /// <exception cref="IOException">The write path stayed held for longer than <see cref="Stream.WriteTimeout"/>.</exception>
    public HeartbeatWriteScope BeginMessage() => EnterMessage(nameof(BeginMessage));

    // The application's blocking `call` takes the write path: behind a heartbeat's write that waits for the peer, at most
    // WriteTimeout, reported past the registration's BlockedCallbackThreshold (2013).
    private HeartbeatWriteScope EnterMessage(string call)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfInHeartbeatWriter();
        if (!_path.TryEnter() && InnerWriteTimeout is var timeout && !_path.Enter(call, timeout))
        {
            // A heartbeat (or another message) still writing holds the path: a blocking write to the stream itself would have
            // failed after WriteTimeout, so this one does too instead of waiting for the peer for ever.
            throw new IOException(FormattableString.Invariant(
                $"The write waited the stream's WriteTimeout ({KeepAliveDuration.Format(TimeSpan.FromMilliseconds(timeout))}) for the {nameof(HeartbeatStream)}'s write path, held by a heartbeat or another message still being written (a peer that stopped reading holds every write); nothing was written. Fix: close the connection if the peer no longer reads, or raise WriteTimeout."));
        }

        return Scope();
    }

    // The application's asynchronous `call` takes the write path: behind a heartbeat's write that waits for the peer, as long
    // as that write (it cannot be withdrawn), reported past the registration's BlockedCallbackThreshold (2013).
    private async ValueTask<HeartbeatWriteScope> EnterMessageAsync(string call, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfInHeartbeatWriter();
        await _path.EnterAsync(call, cancellationToken).ConfigureAwait(false);
        return Scope();
    }

    // The caller has just taken the write path. A stream disposed while it waited (Dispose waits for no application writer)
    // takes no more writes: its inner stream is closed, or handed back (leaveOpen) to an application that now writes to it
    // on its own.
    private HeartbeatWriteScope Scope()
    {
        if (IsDisposed)
        {
            _path.Exit();
            ObjectDisposedException.ThrowIf(true, this);
        }

        return new HeartbeatWriteScope(_inner, _innerPipe, _path);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var read = _inner.Read(buffer);
        _path.MarkPeerActivity(read);
        return read;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "Overrides Stream's own signature, optional token included.")]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _path.MarkPeerActivity(read);
        return read;
    }

    // Stream's own BeginRead/BeginWrite serialize reads and writes on one semaphore: a BeginRead waiting for a silent peer
    // would hold every BeginWrite (blocking its caller's thread). As NetworkStream and SslStream do, the APM calls run the
    // asynchronous ones, so a read and a write go at once and each write is one message.

    /// <inheritdoc/>
    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc/>
    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    /// <inheritdoc/>
    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc/>
    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        using var scope = EnterMessage(nameof(Write));
        scope.Stream.Write(buffer);
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "Overrides Stream's own signature, optional token included.")]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var scope = await EnterMessageAsync(nameof(WriteAsync), cancellationToken).ConfigureAwait(false);
        await scope.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        using var scope = EnterMessage(nameof(Flush));
        scope.Stream.Flush();
    }

    /// <inheritdoc/>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        using var scope = await EnterMessageAsync(nameof(FlushAsync), cancellationToken).ConfigureAwait(false);
        await scope.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _path.DisposeOwnedRegistration();
            _path.Close(); // the application's writes still waiting for the write path fail as disposed
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }
            else if (!InHeartbeatWriter && !await _path.WaitForHeartbeatWriteAsync(InnerWriteTimeout).ConfigureAwait(false))
            {
                throw HeartbeatStillWriting();
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _path.DisposeOwnedRegistration();
            _path.Close(); // as in DisposeAsync
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
            else if (!InHeartbeatWriter && !_path.WaitForHeartbeatWrite(InnerWriteTimeout))
            {
                throw HeartbeatStillWriting();
            }
        }

        base.Dispose(disposing);
    }

    private IOException HeartbeatStillWriting() => new(FormattableString.Invariant(
        $"The HeartbeatStream is disposed, but its last heartbeat is still being written to the inner {_inner.GetType().Name} after its WriteTimeout of {KeepAliveDuration.Format(TimeSpan.FromMilliseconds(InnerWriteTimeout))} (the peer makes no room): the stream handed back (leaveOpen) is not free yet, and a write to it now would collide with the heartbeat. Fix: close the connection, or wait for the peer to read before using the inner stream."));

    // Disposed while registering, past the check: Dispose found no registration to stop, and the heartbeat would write to
    // the inner stream for ever (one handed back with leaveOpen, that the application now uses on its own).
    private HeartbeatRegistration Registered(HeartbeatRegistration registration)
    {
        if (IsDisposed)
        {
            _path.DisposeOwnedRegistration();
            ObjectDisposedException.ThrowIf(true, this);
        }

        return registration;
    }

    // A heartbeat on a stream that cannot be written fails at every interval for ever (NotSupportedException is not a
    // closed connection, so the registration never ends): refuse it up front. One on a socket already closed or shut down would
    // only end with PeerDead at the first heartbeat: refused as RegisterSocket refuses that socket.
    private void ThrowIfInnerNotWritable()
    {
        if (_inner is SslStream { IsAuthenticated: false })
        {
            throw new NotSupportedException(
                "The wrapped SslStream cannot be written: its TLS handshake has not completed (or the stream is closed), and no heartbeat may go out before it. Fix: register the heartbeat once AuthenticateAsClientAsync or AuthenticateAsServerAsync has completed, while the connection is open.");
        }

        if (!_inner.CanWrite)
        {
            throw new NotSupportedException(
                $"The wrapped {_inner.GetType().Name} cannot be written (CanWrite is false: it is read-only, or already closed), so this heartbeat could never be sent. Fix: wrap the connection's writable stream (a NetworkStream, an SslStream), or send the heartbeat some other way and call TrackActivity.");
        }

        if (SocketUnder(_inner) is { } socket)
        {
            SocketHeartbeat.CheckSocket(socket); // its socket closed or shut down under it, a NetworkStream (and an SslStream over it) still says CanWrite
        }
    }

    // The socket of a NetworkStream wrapped directly or under an SslStream (any AuthenticatedStream, TLS within TLS too), whose
    // InnerStream is protected: read through its accessor, as a derived class reads it.
    private static Socket? SocketUnder(Stream stream)
    {
        while (stream is AuthenticatedStream authenticated)
        {
            stream = InnerStreamOf(authenticated);
        }

        return (stream as NetworkStream)?.Socket;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_InnerStream")]
    private static extern Stream InnerStreamOf(AuthenticatedStream stream);

    // The heartbeat's own write, while it holds the write path: asynchronous on the scheduler's thread (a full socket buffer
    // never blocks it), blocking on an application thread that writes a pending heartbeat at the end of its message.
    private ValueTask WritePayload(ReadOnlyMemory<byte> payload, HeartbeatContext context, bool synchronous)
    {
        if (!synchronous)
        {
            return WritePayloadAsync(payload, context.CancellationToken);
        }

        try
        {
            PipeWait.Write(_inner, _innerPipe, payload.Span);
            FlushHeartbeat(_inner);
        }
        catch (InvalidOperationException refused) when (RefusalClosesTheConnection(synchronous: true))
        {
            throw Closed(refused);
        }
        catch (IOException failure) when (WritePathClosedException.IsTimedOut(failure))
        {
            throw WritePathClosedException.TimedOut(_inner, failure);
        }

        _path.MarkActivity();
        return default;
    }

    // A stream over a pipe (PipeWriter.AsStream(), a transport's pipe seen as a stream) refuses every write once its writer is
    // completed, with InvalidOperationException ("Writing is not allowed after writer was completed"): the connection is closed
    // for good, which ends the registration (PeerDead), instead of a failure retried, and warned about, at every interval.
    // Only an asynchronous write's refusal means that, or a blocking one's by a stream known to be over a pipe: an ASP.NET Core
    // body with AllowSynchronousIO off refuses every blocking write (the heartbeat written at the end of a message) with
    // InvalidOperationException too, on a connection that is fine; that heartbeat only fails.
    private bool RefusalClosesTheConnection(bool synchronous) => !synchronous || _innerPipe is not null;

    private WritePathClosedException Closed(InvalidOperationException refused) => new(
        $"The heartbeat was not sent: the wrapped {_inner.GetType().Name} refused the write ({refused.Message}), as a stream over a pipe does once its writer is completed, so the connection is closed.",
        refused);

    // Once started, the write is not cancelled: a stream write cannot be withdrawn (cancelling one that waits for room stops
    // it after part of the heartbeat went out, and the next message would follow that part). A registration stopped meanwhile
    // lets it end when the peer makes room; one whose stream is disposed under it is cancelled, neither sent nor failed. Over
    // a Pipe's own writer seen as a stream, disposing ends the write's wait for the pipe's reader (PipeWait.WaitEndedBy): the
    // heartbeat is whole in the pipe, and a DisposeAsync (leaveOpen) waiting for it returns, since that stream has no WriteTimeout.
    private async ValueTask WritePayloadAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _inner.WriteAsync(payload, PipeWait.WaitEndedBy(_innerPipe, _path.Closing)).ConfigureAwait(false);
            await FlushHeartbeatAsync(_inner).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw StoppedUnder(exception, cancellationToken);
        }
        catch (InvalidOperationException refused)
        {
            throw Closed(refused);
        }
        catch (IOException failure) when (WritePathClosedException.IsTimedOut(failure))
        {
            throw WritePathClosedException.TimedOut(_inner, failure);
        }

        _path.MarkActivity();
    }

    private static OperationCanceledException StoppedUnder(Exception failure, CancellationToken cancellationToken) =>
        new("The heartbeat's registration stopped while its write waited, and the stream was closed under it.", failure, cancellationToken);

    // Flushes a heartbeat written through `through`. A stream over a pipe (PipeWriter.AsStream()) drops its flush's result, so
    // it never tells that the pipe's reader (the transport) has completed: its writes then go nowhere and each heartbeat counted
    // as sent for ever. Its pipe writer is flushed instead (all that stream's Flush does), and a completed reader closes the
    // connection for good, as HeartbeatDuplexPipe sees it. Never cancelled: a flush stopped midway would cut the heartbeat
    // (a Pipe's own writer, which stops only its wait, by the stream's disposal: WritePayloadAsync).
    private ValueTask FlushHeartbeatAsync(Stream through)
    {
        if (_innerPipe is null)
        {
            return new ValueTask(through.FlushAsync(CancellationToken.None));
        }

        var flush = _innerPipe.FlushAsync(PipeWait.WaitEndedBy(_innerPipe, _path.Closing));
        if (flush.IsCompleted)
        {
            ThrowIfReaderCompleted(flush.Result);
            return default;
        }

        return FlushedAsync(flush);

        static async ValueTask FlushedAsync(ValueTask<FlushResult> pending) => ThrowIfReaderCompleted(await pending.ConfigureAwait(false));
    }

    // The blocking FlushHeartbeatAsync, for a heartbeat written at the end of a message: over a Pipe it does not wait for the
    // pipe's reader (PipeWait.Flush), since the application thread ending its message must not wait for a peer that does not read.
    private void FlushHeartbeat(Stream through)
    {
        if (_innerPipe is null)
        {
            through.Flush();
            return;
        }

        ThrowIfReaderCompleted(PipeWait.Flush(_innerPipe));
    }

    private static void ThrowIfReaderCompleted(in FlushResult result)
    {
        if (result.IsCompleted)
        {
            throw WritePathClosedException.Because(WritePathClosedException.ReaderCompleted);
        }

        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The heartbeat's flush was cancelled on the pipe under the wrapped stream (PipeWriter.CancelPendingFlush).");
        }
    }

    // PipeWriter.AsStream()'s stream is internal to System.IO.Pipelines; its writer is read once, here. A runtime whose stream
    // keeps it elsewhere leaves the stream flushed as any other (a completed reader then goes unseen, as before).
    private static PipeWriter? PipeWriterUnder(Stream stream)
    {
        if (stream.GetType() is not { FullName: "System.IO.Pipelines.PipeWriterStream" } type || type.Assembly != typeof(PipeWriter).Assembly)
        {
            return null;
        }

        try
        {
            return PipeWriterField(stream);
        }
        catch (MissingFieldException)
        {
            return null;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_pipeWriter")]
    private static extern ref PipeWriter PipeWriterField([UnsafeAccessorType("System.IO.Pipelines.PipeWriterStream, System.IO.Pipelines")] object stream);

    private async ValueTask WriteCustom(Func<Stream, HeartbeatContext, ValueTask> writeHeartbeat, HeartbeatContext context, bool synchronous)
    {
        var stream = new ScopedWriteStream(_inner, _path, synchronous, innerPipe: _innerPipe);
        var outer = WritingHeartbeat.Value;
        WritingHeartbeat.Value = this;
        var returned = false; // the writer's own failures, not the flush's (which keeps its own verdict), may leave part of a heartbeat
        try
        {
            await writeHeartbeat(stream, context).ConfigureAwait(false);
            returned = true;
            if (stream.Written == 0)
            {
                context.CancellationToken.ThrowIfCancellationRequested(); // stopped: neither sent nor failed
                throw new InvalidOperationException(
                    "The heartbeat writer returned without writing anything to the stream it was given, so no heartbeat went out (counted as failed, not sent). Fix: write the protocol's heartbeat message to the stream passed to the callback, every time it is called.");
            }

            if (synchronous)
            {
                FlushHeartbeat(stream);
            }
            else
            {
                // Not cancelled once started, as the payload's write is not (WritePayloadAsync): a flush that sends buffered
                // bytes (a BufferedStream's) stopped midway would leave part of the heartbeat before the next message.
                await FlushHeartbeatAsync(stream).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (returned && exception is not OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            throw StoppedUnder(exception, context.CancellationToken);
        }
        catch (Exception) when (RefusalClosesTheConnection(synchronous) && stream.Refusal is { } refused)
        {
            throw Closed(refused); // the writer saw the stream's own exception; the engine sees a closed connection
        }
        catch (IOException failure) when (WritePathClosedException.IsTimedOut(failure))
        {
            throw WritePathClosedException.TimedOut(_inner, failure);
        }
        catch (Exception failure) when (!returned && stream.Written > 0 && !context.CancellationToken.IsCancellationRequested)
        {
            // Part of the heartbeat is on the wire: the application's next message would follow it, read as its rest.
            throw WritePathClosedException.HeartbeatCut(stream.Written, failure);
        }
        finally
        {
            stream.End();
            WritingHeartbeat.Value = outer; // this method may have completed synchronously, on the caller's context
        }
    }

    // This flow runs this stream's heartbeat writer, which holds the write path: disposing from there does not wait for the
    // heartbeat's write (itself), and a write through the stream itself is refused.
    private bool InHeartbeatWriter => ReferenceEquals(WritingHeartbeat.Value, this);

    private void ThrowIfInHeartbeatWriter()
    {
        if (InHeartbeatWriter)
        {
            throw new InvalidOperationException(
                "The heartbeat writer wrote (or flushed) through the HeartbeatStream itself, whose write path it already holds: that write would wait for the heartbeat, which waits for the write (a deadlock of every writer). Fix: write to the stream passed to the heartbeat callback.");
        }
    }
}

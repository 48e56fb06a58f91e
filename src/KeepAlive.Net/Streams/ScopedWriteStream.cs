using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The write-only view of a <see cref="HeartbeatWriteScope"/> or of a heartbeat's write: writes go straight to the wrapped
/// stream (the holder already has the write path) and mark activity (a zero-byte write does not: nothing goes on the wire); usable only until it ends. With
/// <paramref name="synchronous"/> every write is a blocking one, even <c>WriteAsync</c>: an application thread writing a
/// pending heartbeat at the end of its message must not wait for the thread pool. With <paramref name="endsWithWrapper"/> (an
/// application's message) it also ends when the wrapper is disposed: the inner stream is then closed, or handed back to the
/// application; a heartbeat's write is left to finish (Dispose waits for it), never cut midway. An application's message whose
/// write or flush fails midway cuts the path for heartbeats (<see cref="ActivityWritePath.MessageFailed"/>); one over a
/// <see cref="Pipe"/>'s writer seen as a stream (<paramref name="innerPipe"/>) that was cancelled while it waited for the pipe's
/// reader cut nothing (<see cref="PipeWait"/>). A heartbeat's view written by an application thread (<paramref name="synchronous"/>)
/// over that pipe does not wait for its reader (<see cref="PipeWait.Write"/>, <see cref="PipeWait.Flush"/>).
/// </summary>
internal sealed class ScopedWriteStream(Stream inner, ActivityWritePath path, bool synchronous = false, bool endsWithWrapper = false, PipeWriter? innerPipe = null) : Stream
{
    private int _ended;
    private long _written;
    private InvalidOperationException? _refusal;

    /// <summary>Gets how many bytes were written through this view.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Gets the wrapped stream's refusal of a write or flush (InvalidOperationException: a stream over a completed pipe writer), if it refused one.</summary>
    public InvalidOperationException? Refusal => Volatile.Read(ref _refusal);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => Volatile.Read(ref _ended) == 0 && !(endsWithWrapper && path.IsClosed) && inner.CanWrite;

    // Its writes go to the wrapped stream, so they time out as that stream's do (a view of the connection's WriteTimeout).
    public override bool CanTimeout => inner.CanTimeout;

    public override int WriteTimeout
    {
        get => inner.WriteTimeout;
        set => inner.WriteTimeout = value;
    }

    public override int ReadTimeout
    {
        get => throw ReadNotSupported();
        set => throw ReadNotSupported();
    }

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Ends the scope's view; returns whether it was still open.</summary>
    public bool End() => Interlocked.Exchange(ref _ended, 1) == 0;

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfEnded();
        try
        {
            PipeWait.Write(inner, synchronous ? innerPipe : null, buffer);
        }
        catch (Exception failure)
        {
            Failed(failure);
            throw;
        }

        MarkActivity(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (synchronous)
        {
            Write(buffer.Span);
            return default;
        }

        return WriteAsyncCore(buffer, cancellationToken);
    }

    // Stream's own BeginWrite queues a blocking Write to the thread pool: a heartbeat callback written with the APM pattern
    // would depend on the pool, and the thread ending a message would wait for it. Run through WriteAsync instead, which
    // writes on the calling thread (blocking with `synchronous`), as HeartbeatStream's own BeginWrite does.
    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    public override void Flush()
    {
        ThrowIfEnded();
        try
        {
            if (synchronous && innerPipe is not null)
            {
                PipeWait.Flush(innerPipe);
            }
            else
            {
                inner.Flush();
            }
        }
        catch (Exception failure)
        {
            Failed(failure);
            throw;
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfEnded();
        if (synchronous)
        {
            Flush();
            return Task.CompletedTask;
        }

        return FlushAsyncCore(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw ReadNotSupported();

    public override int Read(Span<byte> buffer) => throw ReadNotSupported();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask WriteAsyncCore(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ThrowIfEnded();
        cancellationToken.ThrowIfCancellationRequested(); // cancelled before writing: nothing of the message went out
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            Failed(failure);
            throw;
        }

        MarkActivity(buffer.Length);
    }

    private async Task FlushAsyncCore(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            Failed(failure);
            throw;
        }
    }

    // The wrapped stream's write or flush failed: a refusal (a stream over a completed pipe writer) is kept for the heartbeat's
    // writer; an application's message may be cut (ActivityWritePath.MessageFailed decides), unless only its wait for a Pipe's
    // reader was cancelled: the Pipe took the whole message before it waited.
    private void Failed(Exception failure)
    {
        if (failure is InvalidOperationException refused)
        {
            Volatile.Write(ref _refusal, refused);
        }

        if (endsWithWrapper && !PipeWait.OnlyItsWaitCancelled(innerPipe, failure))
        {
            path.MessageFailed(failure);
        }
    }

    // A zero-byte write puts nothing on the wire and refreshes no idle timer: it must not postpone the heartbeat.
    private void MarkActivity(int written)
    {
        if (written > 0)
        {
            Interlocked.Add(ref _written, written);
            path.MarkActivity();
        }
    }

    private static NotSupportedException ReadNotSupported() =>
        new("A write scope's stream only writes. Fix: read from the HeartbeatStream itself; reads do not need the write path.");

    private void ThrowIfEnded()
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            throw new ObjectDisposedException(nameof(HeartbeatWriteScope), "This write scope has ended, so the write path may already carry another message or a heartbeat. Fix: write inside the scope (before disposing it), or begin a new one.");
        }

        if (endsWithWrapper)
        {
            path.ThrowIfClosed();
        }
    }
}

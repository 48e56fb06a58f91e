using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The application's side of a <see cref="HeartbeatDuplexPipe"/>'s output: everything written between two flushes is
/// one message. The first write of a message takes the write path, the flush that ends it marks activity and releases it
/// (writing a heartbeat that came due meanwhile right after the message).
/// </summary>
internal sealed class ActivityPipeWriter(PipeWriter inner, ActivityWritePath path) : PipeWriter
{
    private bool _inMessage;
    private volatile string? _closed;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        BeginMessage();
        return inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        BeginMessage();
        return inner.GetSpan(sizeHint);
    }

    public override void Advance(int bytes)
    {
        BeginMessage();
        inner.Advance(bytes);
    }

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_inMessage)
        {
            await path.EnterAsync(cancellationToken).ConfigureAwait(false);
            _inMessage = true;
        }

        try
        {
            var result = await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            ObserveReader(result);
            path.MarkActivity();
            return result;
        }
        finally
        {
            EndMessage();
        }
    }

    public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (!_inMessage)
        {
            await path.EnterAsync(cancellationToken).ConfigureAwait(false);
            _inMessage = true;
        }

        try
        {
            var result = await inner.WriteAsync(source, cancellationToken).ConfigureAwait(false);
            ObserveReader(result);
            path.MarkActivity();
            return result;
        }
        finally
        {
            EndMessage();
        }
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        Close("the application completed the pipe's output");
        EndMessage();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Close("the application completed the pipe's output");
        EndMessage();
        return inner.CompleteAsync(exception);
    }

    /// <summary>
    /// Writes one heartbeat while the caller holds the write path: the bytes go into the pipe and are flushed. Under
    /// back-pressure (a peer that stopped reading) the flush is cancelled at once and the bytes stay queued for the next flush,
    /// so the heartbeat never holds the output while the peer is not reading (a <see cref="Pipe"/> commits the bytes before it
    /// waits; a writer whose cancellation completes later holds the output until it does). A pipe whose reader or writer has
    /// completed is closed for good (<see cref="WritePathClosedException"/>: the peer is declared dead).
    /// </summary>
    public ValueTask WriteHeartbeat(ReadOnlyMemory<byte> payload)
    {
        if (_closed is { } reason)
        {
            return ValueTask.FromException(Closed(reason));
        }

        ValueTask<FlushResult> flush;
        try
        {
            payload.Span.CopyTo(inner.GetSpan(payload.Length));
            inner.Advance(payload.Length);
            flush = inner.FlushAsync();
        }
        catch (InvalidOperationException)
        {
            // "Writing is not allowed after writer was completed": its owner completed the inner writer, not through us.
            Close("the pipe's output was completed by its owner");
            return ValueTask.FromException(Closed(_closed!));
        }

        if (!flush.IsCompleted)
        {
            inner.CancelPendingFlush();
        }

        return flush.IsCompleted ? Flushed(flush.Result) : FlushedAsync(flush);
    }

    private ValueTask Flushed(in FlushResult result)
    {
        ObserveReader(result);
        if (_closed is { } reason)
        {
            return ValueTask.FromException(Closed(reason));
        }

        path.MarkActivity();
        return default;
    }

    private async ValueTask FlushedAsync(ValueTask<FlushResult> flush) => await Flushed(await flush.ConfigureAwait(false)).ConfigureAwait(false);

    private static WritePathClosedException Closed(string reason) => new($"The heartbeat was not sent: {reason}, so the connection is closed.");

    private void ObserveReader(in FlushResult result)
    {
        if (result.IsCompleted)
        {
            Close("the pipe's reader (the transport) has completed");
        }
    }

    private void Close(string reason)
    {
        _closed ??= reason;
        path.FailPending(Closed(reason));
    }

    private void BeginMessage()
    {
        if (!_inMessage)
        {
            path.Enter(); // blocks only while a heartbeat copies its bytes into the pipe (never while it waits for the peer)
            _inMessage = true;
        }
    }

    private void EndMessage()
    {
        if (_inMessage)
        {
            _inMessage = false;
            path.Exit();
        }
    }
}

using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The application's side of a <see cref="HeartbeatDuplexPipe"/>'s output: everything written between two flushes is
/// one message. The first write of a message takes the write path, the flush that ends it marks activity and releases it.
/// </summary>
internal sealed class ActivityPipeWriter(PipeWriter inner, ActivityWritePath path) : PipeWriter
{
    private bool _inMessage;

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
        EndMessage();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        EndMessage();
        return inner.CompleteAsync(exception);
    }

    /// <summary>Writes one heartbeat on the inner writer; the caller holds the write path.</summary>
    public async ValueTask WriteHeartbeatAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var result = await inner.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new InvalidOperationException("The pipe's reader has completed: the connection is closed, so the heartbeat was not sent.");
        }
    }

    private void BeginMessage()
    {
        if (!_inMessage)
        {
            path.Enter(); // blocks only while a heartbeat is being written and flushed
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

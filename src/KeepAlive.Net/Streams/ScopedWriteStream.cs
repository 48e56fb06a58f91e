namespace KeepAlive.Net.Streams;

/// <summary>
/// The write-only view of a <see cref="HeartbeatWriteScope"/>: writes go straight to the wrapped stream (the scope
/// already holds the write path) and mark activity; usable only until the scope ends.
/// </summary>
internal sealed class ScopedWriteStream(Stream inner, ActivityWritePath path) : Stream
{
    private int _ended;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => Volatile.Read(ref _ended) == 0 && inner.CanWrite;

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
        inner.Write(buffer);
        path.MarkActivity();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfEnded();
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        path.MarkActivity();
    }

    public override void Flush()
    {
        ThrowIfEnded();
        inner.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfEnded();
        return inner.FlushAsync(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw ReadNotSupported();

    public override int Read(Span<byte> buffer) => throw ReadNotSupported();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static NotSupportedException ReadNotSupported() =>
        new("A write scope's stream only writes. Fix: read from the HeartbeatStream itself; reads do not need the write path.");

    private void ThrowIfEnded()
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            throw new ObjectDisposedException(nameof(HeartbeatWriteScope), "This write scope has ended, so the write path may already carry another message or a heartbeat. Fix: write inside the scope (before disposing it), or begin a new one.");
        }
    }
}

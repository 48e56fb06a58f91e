using System.Buffers;
using System.IO.Pipelines;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// Kestrel's bytes on their way to the client, passed through untouched and scanned as they are committed, so the
/// server's frames are followed (which streams ended) and frames of our own (GOAWAY and PING) are written between two
/// of Kestrel's frames, never inside one. Kestrel serialises its own calls; a lock orders ours against them, and a
/// flush of ours never overlaps one of Kestrel's (a pipe allows one flush at a time).
/// </summary>
internal sealed class Http2ObservingWriter(PipeWriter inner, RetirementTransport owner) : PipeWriter
{
    private readonly Lock _lock = new();
    private Http2FrameScanner? _scanner;
    private Memory<byte> _lent;
    private bool _lending;
    private bool _kestrelFlushing;
    private Task? _ownFlush;
    private bool _unflushed;
    private byte[]? _pending;
    private long _written;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    /// <summary>Starts following the server's frames; refused when Kestrel already wrote bytes that were not scanned.</summary>
    public bool StartScanning(IHttp2FrameObserver observer)
    {
        lock (_lock)
        {
            if (_written > 0 || _lending)
            {
                return false;
            }

            _scanner = new Http2FrameScanner(observer, clientDirection: false);
            return true;
        }
    }

    /// <summary>Writes frames of our own at the next frame boundary (now, if Kestrel is between frames) and flushes them.</summary>
    public void Inject(byte[] frames)
    {
        OwnFlush? flush;
        lock (_lock)
        {
            _pending = frames;
            TryWritePending();
            flush = StartOwnFlushIfNeeded();
        }

        _ = flush?.RunAsync();
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        lock (_lock)
        {
            _lent = inner.GetMemory(sizeHint);
            _lending = true;
            return _lent;
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        lock (_lock)
        {
            _scanner?.Scan(_lent.Span[..bytes]);
            inner.Advance(bytes);
            _written += bytes;
            _lent = default;
            _lending = false;
            TryWritePending();
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> flush;
        lock (_lock)
        {
            if (_ownFlush is { } own)
            {
                return new ValueTask<FlushResult>(FlushAfterAsync(own, cancellationToken));
            }

            _kestrelFlushing = true;
            _unflushed = false;
            flush = inner.FlushAsync(cancellationToken);
            if (flush.IsCompleted)
            {
                _kestrelFlushing = false;
                return flush;
            }
        }

        return KestrelFlushAsync(flush);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (!owner.HoldWriterCompletion())
        {
            inner.Complete(exception);
        }
    }

    private async ValueTask<FlushResult> KestrelFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            return await flush.ConfigureAwait(false);
        }
        finally
        {
            OwnFlush? again;
            lock (_lock)
            {
                _kestrelFlushing = false;
                again = StartOwnFlushIfNeeded();
            }

            _ = again?.RunAsync();
        }
    }

    private async Task<FlushResult> FlushAfterAsync(Task own, CancellationToken cancellationToken)
    {
        await own.ConfigureAwait(false);
        return await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a flush for bytes of ours that no flush covers yet (called under the lock, so it is marked under way before
    /// Kestrel can flush), unless a flush is under way (its end checks again) or Kestrel is mid-write (its flush follows).
    /// </summary>
    private OwnFlush? StartOwnFlushIfNeeded()
    {
        if (!_unflushed || _lending || _kestrelFlushing || _ownFlush is not null)
        {
            return null;
        }

        _unflushed = false;
        var flush = new OwnFlush(this, inner.FlushAsync());
        _ownFlush = flush.Done.Task;
        return flush;
    }

    /// <summary>Writes our frames if they wait and Kestrel is between frames.</summary>
    private void TryWritePending()
    {
        if (_pending is null || _lending || _scanner is not { AtFrameBoundary: true })
        {
            return;
        }

        inner.Write(_pending);
        _pending = null;
        _unflushed = true;
    }

    /// <summary>A flush of ours in flight; Kestrel's next flush waits for it.</summary>
    private sealed class OwnFlush(Http2ObservingWriter writer, ValueTask<FlushResult> flush)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync()
        {
            try
            {
                await flush.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
            {
                // The connection is gone; nobody is left to read our frames.
            }

            OwnFlush? again;
            lock (writer._lock)
            {
                writer._ownFlush = null;
                again = writer.StartOwnFlushIfNeeded();
            }

            Done.SetResult();
            _ = again?.RunAsync();
        }
    }
}

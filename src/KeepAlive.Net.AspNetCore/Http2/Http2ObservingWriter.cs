using System.Buffers;
using System.IO.Pipelines;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// Kestrel's bytes on their way to the client, passed through untouched and scanned as they are committed, so the
/// server's frames are followed (which streams ended) and frames of our own (GOAWAY and PING) are written between two
/// of Kestrel's frames, never inside one. Kestrel serialises its own calls; a lock orders ours against them.
/// <para>
/// The one rule: <b>the inner writer is written only while no flush is in flight</b>, ours or Kestrel's. Over TLS the
/// inner writer is a StreamPipeWriter on the SslStream, which loses bytes written during one of its flushes (the flush
/// resets its buffer when it ends: a response's last frame was scanned, then never sent). Kestrel never writes during
/// its own flushes, but it does not know about ours; so while any flush is in flight, what either side writes is held
/// here in order and moved into the inner writer when the flush ends, before anyone flushes again. A flush of ours
/// never overlaps one of Kestrel's (a pipe allows one flush at a time).
/// </para>
/// <para>
/// Kestrel's frames are reported to the observer once a flush that covers them has completed, not when they are written:
/// a response is over when its last frame has left for the socket. Written but unflushed, it could still be dropped
/// (Kestrel discards what its frame writer holds when it closes, the TLS layer what its writer holds when it is
/// disposed), and a connection closed on the strength of it lost that response.
/// </para>
/// </summary>
internal sealed class Http2ObservingWriter(PipeWriter inner, RetirementTransport owner) : PipeWriter
{
    private readonly Lock _lock = new();
    private Http2FrameScanner? _scanner;
    private Memory<byte> _lent;
    private bool _lending;
    private bool _lentHeld;
    private bool _kestrelFlushing;
    private Task? _ownFlush;
    private bool _unflushed;
    private bool _completed;
    private byte[]? _pending;
    private ArrayBufferWriter<byte>? _held;
    private long _written;
    private IHttp2FrameObserver? _observer;
    private List<ServerFrame> _unflushedFrames = [];
    private List<ServerFrame> _flushingFrames = [];

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + HeldBytes;

    private int HeldBytes => _held?.WrittenCount ?? 0;

    /// <summary>Whether a flush is in flight: the inner writer must not be written now.</summary>
    private bool Flushing => _ownFlush is not null || _kestrelFlushing;

    /// <summary>Whether bytes written now must be held: a flush is in flight, or earlier bytes are held (order is kept).</summary>
    private bool MustHold => Flushing || HeldBytes > 0;

    /// <summary>Starts following the server's frames; refused when Kestrel already wrote bytes that were not scanned.</summary>
    public bool StartScanning(IHttp2FrameObserver observer)
    {
        lock (_lock)
        {
            if (_written > 0 || _lending)
            {
                return false;
            }

            _observer = observer;
            _scanner = new Http2FrameScanner(new Unflushed(this), clientDirection: false);
            return true;
        }
    }

    /// <summary>
    /// Writes frames of our own at the next frame boundary (now, if Kestrel is between frames) and flushes them; nothing
    /// once Kestrel has completed the writer (the connection is over: a retirement that comes then has nothing to send).
    /// </summary>
    public void Inject(byte[] frames)
    {
        OwnFlush? flush;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

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
            _lentHeld = MustHold;
            _lent = _lentHeld ? (_held ??= new ArrayBufferWriter<byte>()).GetMemory(sizeHint) : inner.GetMemory(sizeHint);
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
            if (_lentHeld)
            {
                _held!.Advance(bytes);
            }
            else
            {
                inner.Advance(bytes);
            }

            _written += bytes;
            _lent = default;
            _lending = false;
            MoveHeld();
            TryWritePending();
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> flush;
        bool done;
        OwnFlush? again = null;
        lock (_lock)
        {
            if (_ownFlush is { } own)
            {
                return new ValueTask<FlushResult>(FlushAfterAsync(own, cancellationToken));
            }

            MoveHeld();
            _kestrelFlushing = true;
            _unflushed = false;
            FlushStarting();
            flush = inner.FlushAsync(cancellationToken);
            done = flush.IsCompleted; // decided once: a flush that completes after this is ended by KestrelFlushAsync
            if (done)
            {
                _kestrelFlushing = false;
                again = FlushEnded();
            }
        }

        if (!done)
        {
            return KestrelFlushAsync(flush);
        }

        _ = again?.RunAsync();
        return flush;
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (owner.HoldWriterCompletion())
        {
            return;
        }

        if (OwnFlushAfterMovingHeld() is not { } own)
        {
            inner.Complete(exception);
        }
        else
        {
            _ = CompleteAfterAsync(own, exception);
        }
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        if (owner.HoldWriterCompletion())
        {
            return ValueTask.CompletedTask;
        }

        return OwnFlushAfterMovingHeld() is { } own ? new ValueTask(CompleteAfterAsync(own, exception)) : inner.CompleteAsync(exception);
    }

    /// <summary>Before completing: moves what is held into the inner writer and returns our flush in flight, which completion waits for.</summary>
    private Task? OwnFlushAfterMovingHeld()
    {
        lock (_lock)
        {
            _completed = true;
            MoveHeld();
            return _ownFlush;
        }
    }

    /// <summary>Completes the inner writer once our flush is over, with what was held meanwhile moved into it first.</summary>
    private async Task CompleteAfterAsync(Task own, Exception? exception)
    {
        for (Task? flush = own; flush is not null; flush = OwnFlushAfterMovingHeld())
        {
            await flush.ConfigureAwait(false);
        }

        await inner.CompleteAsync(exception).ConfigureAwait(false);
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
                again = FlushEnded();
            }

            _ = again?.RunAsync();
        }
    }

    private async Task<FlushResult> FlushAfterAsync(Task own, CancellationToken cancellationToken)
    {
        await own.ConfigureAwait(false);
        return await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves what was held during a flush into the inner writer, in order, once no flush is in flight (under the lock).</summary>
    private void MoveHeld()
    {
        if (HeldBytes == 0 || Flushing || (_lending && _lentHeld))
        {
            return;
        }

        inner.Write(_held!.WrittenSpan);
        _held.ResetWrittenCount();
    }

    /// <summary>
    /// Starts a flush for bytes of ours that no flush covers yet (called under the lock, so it is marked under way before
    /// Kestrel can flush), unless a flush is under way (its end checks again) or Kestrel is mid-write or mid-frame (its
    /// flush follows, and a flush of ours never ends inside one of its frames).
    /// </summary>
    private OwnFlush? StartOwnFlushIfNeeded()
    {
        if (!_unflushed || _lending || Flushing || HeldBytes > 0 || _scanner is { AtFrameBoundary: false })
        {
            return null;
        }

        _unflushed = false;
        FlushStarting();
        var flush = new OwnFlush(this, inner.FlushAsync());
        _ownFlush = flush.Done.Task;
        return flush;
    }

    /// <summary>Writes our frames if they wait and Kestrel is between frames: behind what is held, if a flush is in flight.</summary>
    private void TryWritePending()
    {
        if (_pending is null || _lending || _scanner is not { AtFrameBoundary: true })
        {
            return;
        }

        if (MustHold)
        {
            (_held ??= new ArrayBufferWriter<byte>()).Write(_pending);
        }
        else
        {
            inner.Write(_pending);
        }

        _pending = null;
        _unflushed = true;
    }

    /// <summary>A flush starts (under the lock): it covers every frame written so far, all in the inner writer by now.</summary>
    private void FlushStarting()
    {
        (_flushingFrames, _unflushedFrames) = (_unflushedFrames, _flushingFrames);
    }

    /// <summary>
    /// The flush in flight ended (under the lock, its flag already cleared): the frames it covered have left and are reported,
    /// what was held meanwhile moves into the inner writer, our frames that waited are written, and the flush of ours they
    /// need is returned for the caller to run outside the lock.
    /// </summary>
    private OwnFlush? FlushEnded()
    {
        foreach (var frame in _flushingFrames)
        {
            _observer!.OnFrame(frame.Type, frame.Flags, frame.StreamId, default);
        }

        _flushingFrames.Clear();
        MoveHeld();
        TryWritePending();
        return StartOwnFlushIfNeeded();
    }

    private readonly record struct ServerFrame(byte Type, byte Flags, int StreamId);

    /// <summary>Keeps Kestrel's frames, as the scanner finds them (under the lock), until a flush covers them.</summary>
    private sealed class Unflushed(Http2ObservingWriter writer) : IHttp2FrameObserver
    {
        public void OnProtocolDetected(bool http2) => writer._observer!.OnProtocolDetected(http2);

        public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload) =>
            writer._unflushedFrames.Add(new ServerFrame(type, flags, streamId));
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
            catch (Exception)
            {
                // The connection is gone (however its transport failed: an IOException, a disposed or failed TLS layer...);
                // nobody is left to read our frames. The flush must still end, or Kestrel's next flush waits for ever.
            }

            OwnFlush? again;
            lock (writer._lock)
            {
                writer._ownFlush = null;
                again = writer.FlushEnded();
            }

            Done.SetResult();
            _ = again?.RunAsync();
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// The client's bytes on their way to Kestrel, passed through untouched: each byte is scanned once, when a read first
/// returns it (so a frame is seen before Kestrel can act on it), and the reader's completion can be held back while a
/// retired connection lingers (see <see cref="RetirementTransport"/>).
/// </summary>
internal sealed class Http2ObservingReader(PipeReader inner, Http2FrameScanner? scanner, RetirementTransport owner) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;
    private long _consumed;
    private long _scanned;

    public PipeReader Inner => inner;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            var result = read.Result;
            Observe(result.Buffer);
            return new ValueTask<ReadResult>(result);
        }

        return Awaited(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Observe(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (scanner is not null && _lastBuffer.Length > 0)
        {
            _consumed += _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
            _lastBuffer = default;
        }

        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        if (!owner.HoldReaderCompletion())
        {
            inner.Complete(exception);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> Awaited(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        Observe(result.Buffer);
        return result;
    }

    private void Observe(in ReadOnlySequence<byte> buffer)
    {
        if (scanner is null || scanner.State == Http2ScanState.NotHttp2)
        {
            return;
        }

        _lastBuffer = buffer;
        var seen = _scanned - _consumed;
        if (buffer.Length > seen)
        {
            scanner.Scan(buffer.Slice(seen));
            _scanned = _consumed + buffer.Length;
        }
    }
}

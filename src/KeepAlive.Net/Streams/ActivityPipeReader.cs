using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>Marks peer activity when a read returns bytes that were not in the previous read's unconsumed buffer.</summary>
internal sealed class ActivityPipeReader(PipeReader inner, ActivityWritePath path) : PipeReader
{
    private System.Buffers.ReadOnlySequence<byte> _lastBuffer;
    private long _unconsumed;

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Observe(result);
        return true;
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Observe(result);
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        Remember(consumed);
        inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Remember(consumed);
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void Observe(in ReadResult result)
    {
        _lastBuffer = result.Buffer;
        path.MarkPeerActivity(result.Buffer.Length - _unconsumed);
    }

    private void Remember(SequencePosition consumed)
    {
        _unconsumed = _lastBuffer.Slice(consumed).Length;
        _lastBuffer = default;
    }
}

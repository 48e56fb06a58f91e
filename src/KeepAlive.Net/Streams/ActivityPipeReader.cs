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
        var unconsumed = Unconsumed(consumed);
        inner.AdvanceTo(consumed);
        Remember(unconsumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var unconsumed = Unconsumed(consumed);
        inner.AdvanceTo(consumed, examined);
        Remember(unconsumed);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void Observe(in ReadResult result)
    {
        _lastBuffer = result.Buffer;
        path.MarkPeerActivity(result.Buffer.Length - _unconsumed);
    }

    // Measured before the inner reader is advanced (which may free the buffer's segments). A position the previous read's
    // buffer does not hold (AdvanceTo twice, or before any read) is the inner reader's to refuse, with its own exception,
    // not ours: null, and what it accepts is then all consumed.
    private long? Unconsumed(SequencePosition consumed)
    {
        try
        {
            return _lastBuffer.Slice(consumed).Length;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private void Remember(long? unconsumed)
    {
        _unconsumed = unconsumed ?? 0;
        _lastBuffer = default;
    }
}

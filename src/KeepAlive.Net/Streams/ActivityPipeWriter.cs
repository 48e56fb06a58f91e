using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The application's side of a <see cref="HeartbeatDuplexPipe"/>'s output: everything written between two flushes is
/// one message. The first write of a message takes the write path, the flush that ends it marks activity (if it carried
/// bytes) and releases it
/// (writing a heartbeat that came due meanwhile right after the message).
/// </summary>
internal sealed class ActivityPipeWriter(PipeWriter inner, ActivityWritePath path) : PipeWriter
{
    // 1 while a message holds the write path. Read and ended atomically: a Complete from another thread (allowed, outside the
    // single-writer rule) may end the message the writing thread is in; exactly one of them releases the path (EndMessage).
    private int _inMessage;
    private bool _unflushed; // bytes were advanced since the last flush that completed: only such a flush is activity
    private bool _unread; // a heartbeat's bytes wait in the pipe behind a peer that stopped reading (only the write path's holder touches it)
    private const string CompletedByApplication = "the application completed the pipe's output";
    private const int CopyBufferSize = 4096; // what PipeWriter's own CopyFromAsync reads into: GetMemory()'s default, a pipe's minimum segment
    private volatile string? _closed;
    private volatile string? _completing; // the application completed the output: no heartbeat starts, one being written finishes
    private volatile bool _cancelRequested; // the application's CancelPendingFlush, until one of its flushes returns cancelled
    private volatile bool _cancelDeferred; // that CancelPendingFlush came while a heartbeat's write was in flight, and waits for the application's flush
    private volatile bool _writingHeartbeat; // a heartbeat is being written (the scheduler's thread's, or one at the end of a message)
    private CancellationTokenSource? _flushWait; // the application's flush waiting for the output behind a heartbeat's write, which CancelPendingFlush ends
    private byte[]? _held; // the bytes of the application's WriteAsync that CancelPendingFlush ended while it waited: written when its next use has the output
    private int _flushesInFlight; // the application's FlushAsync/WriteAsync calls from their start (a wait for the path included) until they return
    private StrongBox<Exception?>? _completionAfterFlushes; // a Complete that came during those calls (with its exception): whoever takes it back completes the output

    /// <summary>Gets why the output is closed for good (its reader or writer completed), or <see langword="null"/> while it is open.</summary>
    public string? ClosedReason => _closed ?? _completing;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var began = BeginMessage($"Output.{nameof(GetMemory)}");
        try
        {
            return inner.GetMemory(sizeHint);
        }
        catch when (began)
        {
            EndMessage(); // nothing of this message was written: a writer completed by its owner must not keep the path
            throw;
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        var began = BeginMessage($"Output.{nameof(GetSpan)}");
        try
        {
            return inner.GetSpan(sizeHint);
        }
        catch when (began)
        {
            EndMessage(); // as in GetMemory
            throw;
        }
    }

    public override void Advance(int bytes)
    {
        var began = BeginMessage($"Output.{nameof(Advance)}");
        try
        {
            inner.Advance(bytes);
        }
        catch when (began)
        {
            EndMessage(); // as in GetMemory
            throw;
        }

        _unflushed |= bytes > 0;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => FlushOrWriteAsync(null, cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => FlushOrWriteAsync(source, cancellationToken);

    // Stream.CopyToAsync(PipeWriter), a proxy's forwarding loop. PipeWriter's own takes GetMemory, then waits for the source
    // to send into it: that GetMemory begins a message, so while the source was silent (the idle connection the heartbeat
    // is for) the write path was held and every heartbeat waited for a flush that never came. Each read waits outside the
    // path, into a buffer of the size PipeWriter's takes, and its bytes are one message (WriteAsync), as each of its flushes is.
    protected override async Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                var result = await WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The copy's flush was cancelled (PipeWriter.CancelPendingFlush).");
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The application's FlushAsync, or its WriteAsync of `source`: one message that ends with the inner writer's flush.
    private async ValueTask<FlushResult> FlushOrWriteAsync(ReadOnlyMemory<byte>? source, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _flushesInFlight); // a full fence before ThrowIfCompleted, paired with Complete's: a write is refused, or Complete sees it
        try
        {
            if (source is not null)
            {
                ThrowIfCompleted();
            }

            if (!InMessage)
            {
                if (!await EnterToFlushAsync(source is null ? $"Output.{nameof(FlushAsync)}" : $"Output.{nameof(WriteAsync)}", cancellationToken).ConfigureAwait(false))
                {
                    if (source is { } cancelled)
                    {
                        Hold(cancelled.Span); // committed, as a Pipe's cancelled WriteAsync commits its bytes
                    }

                    return new FlushResult(isCanceled: true, isCompleted: false);
                }

                StartMessage();
            }

            var messageGoesOn = false;
            try
            {
                var cancelledBefore = cancellationToken.IsCancellationRequested; // then the inner writer writes nothing of `source`
                WriteHeld();
                _unflushed |= source is { IsEmpty: false } && !cancelledBefore; // a write that never started is no activity, even once a later flush carries nothing
                PassOnDeferredCancel();
                FlushResult result;
                try
                {
                    result = source is { } bytes
                        ? await inner.WriteAsync(bytes, cancellationToken).ConfigureAwait(false)
                        : await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception failure) when (!cancelledBefore && !PipeWait.OnlyItsWaitCancelled(inner, failure))
                {
                    path.MessageFailed(failure); // a writer over a stream whose write failed midway: no heartbeat may follow
                    throw;
                }
                catch (OperationCanceledException) when (cancelledBefore && HoldsUnflushedBytes)
                {
                    // Nothing was committed: the bytes advanced before this call (the message's header) still wait in the
                    // inner writer, so the message is unfinished and keeps the path. A heartbeat let in now would be
                    // flushed right behind that header, inside the message: it waits for the call that finishes it.
                    messageGoesOn = true;
                    throw;
                }

                ObserveCancel(result);
                ObserveReader(result);
                MarkFlushed();
                return result;
            }
            finally
            {
                if (!messageGoesOn)
                {
                    EndMessage();
                }
            }
        }
        finally
        {
            FlushEnded();
        }
    }

    // A heartbeat's stream write in flight is not the application's flush: cancelling it would stop it midway, and the inner
    // writer would send the whole heartbeat again with the next flush (the peer reads a cut one, then a whole one). That is
    // so of the scheduler thread's write and of one written at the end of a message (the application's flush has not
    // returned, but its bytes are out). The cancel is then passed on when the application's next flush has the output.
    public override void CancelPendingFlush()
    {
        _cancelRequested = true;
        if (_writingHeartbeat)
        {
            _cancelDeferred = true;
            Interlocked.MemoryBarrier(); // a flush starting to wait either is seen here or sees the deferred cancel
            try
            {
                Volatile.Read(ref _flushWait)?.Cancel(); // the application's flush waiting behind that write is the pending one
            }
            catch (ObjectDisposedException)
            {
                // That flush has just taken the output: the deferred cancel is passed on to it.
            }

            return;
        }

        inner.CancelPendingFlush();
    }

    // Takes the write path for the application's flush (a flush that starts a message writes nothing of its own). Behind a
    // heartbeat's write that waits for the peer, CancelPendingFlush ends the wait at once, as PipeWriter's contract says of a
    // pending flush: returns false, the flush is cancelled, and that cancel is spent. A wait past the registration's
    // BlockedCallbackThreshold is reported as a blocking call's is (2013, naming `call`).
    private async ValueTask<bool> EnterToFlushAsync(string call, CancellationToken cancellationToken)
    {
        if (path.TryEnter())
        {
            return true;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Interlocked.Exchange(ref _flushWait, wait); // a full fence, paired with CancelPendingFlush's
        try
        {
            if (!_cancelDeferred)
            {
                await path.EnterAsync(call, wait.Token).ConfigureAwait(false);
                return true;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException canceled)
        {
            throw ActivityWritePath.CanceledBy(canceled, cancellationToken); // the caller's token, not the linked one
        }
        finally
        {
            Volatile.Write(ref _flushWait, null);
        }

        _cancelDeferred = false;
        _cancelRequested = false;
        return false;
    }

    // The application's flush has the output: a cancel it asked for while a heartbeat was being written is passed on now.
    private void PassOnDeferredCancel()
    {
        if (_cancelDeferred)
        {
            _cancelDeferred = false;
            inner.CancelPendingFlush();
        }
    }

    // Completing is one more use of the inner writer, which takes one writer at a time: it waits for a heartbeat being
    // written. Completed under a heartbeat's stream write still in flight (PipeWriter.Create), the inner writer wrote the
    // heartbeat's bytes a second time and returned their buffer to the pool while that write still sent from it (another
    // user's bytes on this connection). The output is closed once the path is held: a heartbeat that was being written
    // finishes as sent, every later one finds it closed. The application does not wait for such a write, which waits for a
    // peer that may never read again (it hung the thread closing the connection): the inner writer is completed after it.
    public override void Complete(Exception? exception = null)
    {
        if (!StartCompleting() || CompletesAfterFlushes(exception))
        {
            return;
        }

        if (EnterToComplete() is { } heartbeatWrite)
        {
            _ = CompleteAfterAsync(heartbeatWrite, exception);
            return;
        }

        try
        {
            WriteHeldThenClose();
        }
        finally
        {
            try
            {
                inner.Complete(exception);
            }
            finally
            {
                EndMessage();
            }
        }
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (!StartCompleting() || CompletesAfterFlushes(exception))
        {
            return;
        }

        if (EnterToComplete() is { } heartbeatWrite)
        {
            _ = CompleteAfterAsync(heartbeatWrite, exception);
            return;
        }

        try
        {
            await CompleteInnerAsync(exception).ConfigureAwait(false);
        }
        finally
        {
            EndMessage();
        }
    }

    /// <summary>
    /// Writes one heartbeat while the caller holds the write path: the bytes go into the pipe and are flushed. Under
    /// back-pressure (a peer that stopped reading) the flush is cancelled at once, so the heartbeat never holds the output
    /// while the peer is not reading (a <see cref="Pipe"/> commits the bytes before it waits; a writer whose cancellation
    /// completes later holds the output until it does): its bytes stay queued for the next flush and it fails as not sent.
    /// While they wait unread, later heartbeats write nothing (they would only pile up past the pause threshold) and fail
    /// alike, until a flush shows the peer reads again. A writer over a stream (<c>PipeWriter.Create</c>) whose flush is
    /// still writing the heartbeat's bytes, or a writer that cannot count its unflushed bytes, is not back-pressure: that
    /// write is left to finish (holding the output) and the heartbeat counts as sent when it does. A pipe whose reader or writer has completed is closed for good
    /// (<see cref="WritePathClosedException"/>: the peer is declared dead).
    /// </summary>
    public async ValueTask WriteHeartbeat(ReadOnlyMemory<byte> payload)
    {
        _writingHeartbeat = true;
        try
        {
            await WriteHeartbeatCore(payload).ConfigureAwait(false); // completes synchronously when the write does, allocating nothing
        }
        catch (IOException failure) when (WritePathClosedException.IsTimedOut(failure))
        {
            throw WritePathClosedException.TimedOut(inner, failure); // a writer over a NetworkStream (PipeWriter.Create)
        }
        finally
        {
            _writingHeartbeat = false;
        }
    }

    private ValueTask WriteHeartbeatCore(ReadOnlyMemory<byte> payload)
    {
        if (ClosedReason is { } reason)
        {
            return ValueTask.FromException(Closed(reason));
        }

        ValueTask<FlushResult> flush;
        try
        {
            if (_unread)
            {
                // Nothing new: whether the peer has read the queued heartbeat (the pipe below its resume threshold again).
                var probe = inner.FlushAsync();
                if (!probe.IsCompleted)
                {
                    return NotRead(probe, NotRead("an earlier heartbeat still waits unread in the pipe, so this one was not written"));
                }

                var probed = probe.Result;
                HandBackCancel(probed);
                ObserveReader(probed);
                if (_closed is { } closed)
                {
                    return ValueTask.FromException(Closed(closed));
                }

                _unread = false;
            }

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
            if (!inner.CanGetUnflushedBytes || inner.UnflushedBytes > 0)
            {
                // Not back-pressure: a writer over a stream (PipeWriter.Create over an SslStream, a stream that completes
                // its writes asynchronously) is still writing the heartbeat's bytes, which a Pipe hands to its reader at
                // once. A stream write cannot be withdrawn (cancelling it aborts it midway) and the peer may well be
                // reading: let it finish, holding the output as any write to that stream does. So does a writer that cannot
                // count its unflushed bytes (a transport's own, sending on FlushAsync): nothing tells its send from back-pressure.
                return FlushedAsync(flush);
            }

            if (flush.IsCompleted)
            {
                return Flushed(flush.Result); // the write ended while we looked
            }

            _unread = true;
            return NotRead(flush, NotRead("its bytes wait in the pipe and leave with the next flush the peer makes room for"), sentIfNotCanceled: true);
        }

        return Flushed(flush.Result);
    }

    private static IOException NotRead(string what) => new(
        $"The heartbeat was not sent: the peer is not reading (the pipe is over its pause threshold); {what}. The connection stays at risk until the peer reads again.");

    // Cancels a flush that waits for the peer and fails the heartbeat with `notRead` (the pipe's closing wins); the write
    // path is held until the flush has completed. With `sentIfNotCanceled`, a flush that completed before the cancel took
    // (the peer made room, a stream write ended) sent the heartbeat after all.
    private ValueTask NotRead(ValueTask<FlushResult> flush, IOException notRead, bool sentIfNotCanceled = false)
    {
        inner.CancelPendingFlush();
        return flush.IsCompleted ? Failed(flush.Result, notRead, sentIfNotCanceled) : FailedAsync(flush, notRead, sentIfNotCanceled);
    }

    private ValueTask Failed(in FlushResult result, IOException notRead, bool sentIfNotCanceled)
    {
        HandBackCancel(result);
        if (sentIfNotCanceled && !result.IsCanceled)
        {
            _unread = false;
            return Flushed(result);
        }

        ObserveReader(result);
        return ValueTask.FromException(_closed is { } reason ? Closed(reason) : notRead);
    }

    private async ValueTask FailedAsync(ValueTask<FlushResult> flush, IOException notRead, bool sentIfNotCanceled) =>
        await Failed(await flush.ConfigureAwait(false), notRead, sentIfNotCanceled).ConfigureAwait(false);

    private async ValueTask FlushedAsync(ValueTask<FlushResult> flush) =>
        await Flushed(await flush.ConfigureAwait(false)).ConfigureAwait(false);

    private ValueTask Flushed(in FlushResult result)
    {
        HandBackCancel(result);
        ObserveReader(result);
        if (_closed is { } reason)
        {
            return ValueTask.FromException(Closed(reason));
        }

        if (result.IsCanceled && (!inner.CanGetUnflushedBytes || inner.UnflushedBytes > 0))
        {
            // A Pipe commits the bytes of a cancelled flush; a writer over a stream (PipeWriter.Create) writes nothing, or
            // stops its write midway, and keeps them buffered: the heartbeat did not leave. A writer that cannot count its
            // unflushed bytes (a transport's own) says nothing of what a cancelled flush sent: not counted as sent either.
            return ValueTask.FromException(new IOException(
                "The heartbeat was not sent: the application cancelled the pending flush (PipeWriter.CancelPendingFlush) as the heartbeat flushed, and a writer over a stream does not write a cancelled flush's bytes (they leave with the next flush), nor does a writer that cannot count its unflushed bytes say whether it did."));
        }

        path.MarkActivity();
        return default;
    }

    private static WritePathClosedException Closed(string reason) => WritePathClosedException.Because(reason);

    // The application's flush saw the cancel it asked for.
    private void ObserveCancel(in FlushResult result)
    {
        if (result.IsCanceled)
        {
            _cancelRequested = false;
        }
    }

    // A heartbeat's flush took a cancel the application asked for (CancelPendingFlush with no flush pending cancels the
    // next one, which was the heartbeat's): ask again, so that the application's next flush is the one cancelled.
    private void HandBackCancel(in FlushResult result)
    {
        if (result.IsCanceled && _cancelRequested)
        {
            inner.CancelPendingFlush();
        }
    }

    private void ObserveReader(in FlushResult result)
    {
        if (result.IsCompleted)
        {
            Close(WritePathClosedException.ReaderCompleted);
        }
    }

    private void Close(string reason)
    {
        _closed ??= reason;
        path.FailPending(Closed(reason));
    }

    // A flush that carried the application's bytes is activity; an empty one puts nothing on the wire and must not
    // postpone the heartbeat.
    private void MarkFlushed()
    {
        if (_unflushed)
        {
            _unflushed = false;
            path.MarkActivity();
        }
    }

    // Whether this call is the first Complete/CompleteAsync: only that one completes the output. Another (a second thread's
    // at the same time, or a later one) returns at once: it would take the first one's completion, under way, for a message
    // in progress, and complete the inner writer again under it (or after the heartbeat's write, a second time).
    private bool StartCompleting() => Interlocked.CompareExchange(ref _completing, CompletedByApplication, null) is null;

    // The one rule for a Complete from another thread while the application's FlushAsync or WriteAsync is under way (waiting for
    // the path behind a heartbeat's write, or writing): the completion is left to the last of them to return, so each goes out
    // whole before the inner writer is completed, and Complete returns at once (such a flush may wait for a peer that never
    // reads again). Exactly one of Complete and that flush takes the completion back (an exchange, after a full fence on
    // each side): Complete itself when the flushes ended meanwhile.
    private bool CompletesAfterFlushes(Exception? exception)
    {
        if (Volatile.Read(ref _flushesInFlight) == 0)
        {
            return false;
        }

        Interlocked.Exchange(ref _completionAfterFlushes, new StrongBox<Exception?>(exception));
        return Volatile.Read(ref _flushesInFlight) != 0 || Interlocked.Exchange(ref _completionAfterFlushes, null) is null;
    }

    private void FlushEnded()
    {
        if (Interlocked.Decrement(ref _flushesInFlight) == 0 && Interlocked.Exchange(ref _completionAfterFlushes, null) is { } completion)
        {
            _ = CompleteAfterAsync(Task.CompletedTask, completion.Value);
        }
    }

    // Takes the write path to complete the output, unless a heartbeat's write holds it waiting for the peer: returns that
    // write. A heartbeat that holds it only to copy its bytes into the pipe lets it go at once. A message that holds the path
    // with no flush under way (begun with GetMemory/GetSpan/Advance, by its own thread or a second one; a flush under way is
    // CompletesAfterFlushes') may never end: the output is completed under it. Read again at each turn, since the writing
    // thread may take the path just after a first look and then stop (its next call refused once completing began) without
    // ever letting it go.
    private Task? EnterToComplete()
    {
        while (!InMessage)
        {
            if (path.Enter(millisecondsTimeout: 10))
            {
                StartMessage();
                return null;
            }

            if (path.HeartbeatWriteInFlight is { } heartbeatWrite)
            {
                return heartbeatWrite;
            }
        }

        return null;
    }

    // The application has returned from Complete: nobody awaits this, and the output is closed (its stream disposed) whatever
    // fails here (the held bytes' write or the inner writer's completion, on a transport that failed meanwhile): logged (2012).
    [SuppressMessage("Design", "CA1031", Justification = "Nobody observes a completion handed to the heartbeat's write: its failure is logged, and the output is closed either way.")]
    private async Task CompleteAfterAsync(Task heartbeatWrite, Exception? exception)
    {
        await heartbeatWrite.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // its failure is the heartbeat's, reported by the scheduler
        await path.EnterAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await CompleteInnerAsync(exception).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            path.ReportCompletionFailed(failure);
        }
        finally
        {
            path.Exit();
        }
    }

    // Completes the inner writer with the application's exception even when writing the held bytes first fails (that failure
    // is then thrown after the completion): a connection being closed must not be left open by its last write.
    private async ValueTask CompleteInnerAsync(Exception? exception)
    {
        try
        {
            WriteHeldThenClose();
        }
        finally
        {
            await inner.CompleteAsync(exception).ConfigureAwait(false);
        }
    }

    // The held bytes go first; the output is closed (a pending heartbeat fails for good) whether or not their write succeeds.
    private void WriteHeldThenClose()
    {
        try
        {
            WriteHeld();
        }
        finally
        {
            Close(CompletedByApplication);
        }
    }

    // Refuses a write after Complete at once, as the completed inner writer does (a flush writes nothing and is let through):
    // that writer may still wait to be completed after a heartbeat's write, and a write waiting for it would take the output
    // before the completion.
    private void ThrowIfCompleted()
    {
        if (_completing is not null)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed (Output.Complete or CompleteAsync was called). Fix: write and flush every message before completing the output.");
        }
    }

    // Whether this call (`call`, for the report of a long wait) took the write path (the message starts here).
    private bool BeginMessage(string call)
    {
        ThrowIfCompleted();
        if (InMessage)
        {
            return false;
        }

        path.Enter(call); // blocks while a heartbeat copies its bytes into a Pipe (never while it waits for the peer), or while its write that cannot be withdrawn ends (reported past its blocked threshold)
        StartMessage();
        try
        {
            WriteHeld();
        }
        catch
        {
            EndMessage();
            throw;
        }

        return true;
    }

    // The application's use has the output: the bytes of its WriteAsync cancelled while it waited go first.
    // Taken atomically: a Complete from another thread and the writing thread never both write them, nor drop them.
    private void WriteHeld()
    {
        if (Interlocked.Exchange(ref _held, null) is { } held)
        {
            inner.Write(held);
            _unflushed = true;
        }
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        byte[]? held;
        do
        {
            held = Volatile.Read(ref _held);
        }
        while (Interlocked.CompareExchange(ref _held, [.. held ?? [], .. bytes], held) != held);
    }

    private bool InMessage => Volatile.Read(ref _inMessage) != 0;

    // The application's bytes advanced (or held bytes written) and not yet committed by a flush: counted by the inner writer
    // when it can count them, otherwise what this writer saw advanced since its last flush.
    private bool HoldsUnflushedBytes => inner.CanGetUnflushedBytes ? inner.UnflushedBytes > 0 : _unflushed;

    // The caller has just taken the write path.
    private void StartMessage() => Volatile.Write(ref _inMessage, 1);

    private void EndMessage()
    {
        if (Interlocked.Exchange(ref _inMessage, 0) != 0)
        {
            path.Exit();
        }
    }
}

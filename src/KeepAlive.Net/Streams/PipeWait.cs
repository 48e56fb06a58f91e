using System.Buffers;
using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>
/// A <see cref="Pipe"/>'s own writer (a transport's, as Kestrel's) commits the bytes of a flush or <c>WriteAsync</c> before it
/// waits for its reader: a cancellation then ends only that wait, and the message is whole in the pipe, so a heartbeat may
/// follow it. A writer over a stream (<see cref="PipeWriter.Create(System.IO.Stream, StreamPipeWriterOptions?)"/>) passes the
/// token to the stream's write, which it may stop midway. Used by <see cref="ActivityPipeWriter"/> (a
/// <see cref="HeartbeatDuplexPipe"/>'s output) and by <see cref="ScopedWriteStream"/> (a <see cref="HeartbeatStream"/> over that
/// pipe seen as a stream, <see cref="PipeWriter.AsStream(bool)"/>), whose heartbeat written by an application thread at the end
/// of its message never waits for the pipe's reader either (<see cref="Write"/>, <see cref="Flush"/>).
/// </summary>
internal static class PipeWait
{
    private static readonly Type PipesOwnWriter = new Pipe().Writer.GetType(); // Pipe's writer type is internal to System.IO.Pipelines

    /// <summary>Whether <paramref name="failure"/> of a flush or write on <paramref name="writer"/> only ended its wait for the reader: nothing of the message was cut.</summary>
    /// <param name="writer">The pipe writer written to, or <see langword="null"/> when the write went to no pipe writer.</param>
    /// <param name="failure">The failure of the application's flush or write.</param>
    public static bool OnlyItsWaitCancelled(PipeWriter? writer, Exception failure) => failure is OperationCanceledException && IsPipes(writer);

    /// <summary>
    /// A blocking write of a heartbeat by an application thread ending its message: to a <see cref="Pipe"/>'s own writer
    /// (<paramref name="pipe"/>, under <paramref name="through"/>) the bytes are only copied in, for <see cref="Flush"/> to
    /// commit; a stream's blocking write over it (<see cref="PipeWriter.AsStream(bool)"/>) also waits for the pipe's reader, for
    /// ever behind a peer that does not read (the application's own write was already cancelled by its token, and the thread
    /// held the write path: every later write waited too). Any other stream is written as it is.
    /// </summary>
    public static void Write(Stream through, PipeWriter? pipe, ReadOnlySpan<byte> bytes)
    {
        if (IsPipes(pipe))
        {
            pipe.Write(bytes);
            return;
        }

        through.Write(bytes);
    }

    /// <summary>
    /// The blocking flush after <see cref="Write"/>: a <see cref="Pipe"/>'s own writer commits the bytes (whole: the pipe's
    /// reader takes them as soon as the peer reads) and its wait for a reader over the pause threshold is cancelled at once;
    /// any other writer (<see cref="PipeWriter.Create(System.IO.Stream, StreamPipeWriterOptions?)"/>, still writing to its
    /// stream, which cannot be withdrawn) is waited for.
    /// </summary>
    /// <returns>The flush's result; not cancelled by the wait's own cancel.</returns>
    public static FlushResult Flush(PipeWriter pipe)
    {
        var flush = pipe.FlushAsync();
        if (flush.IsCompleted)
        {
            return flush.Result;
        }

        if (!IsPipes(pipe))
        {
            return flush.AsTask().GetAwaiter().GetResult();
        }

        pipe.CancelPendingFlush(); // observed by this flush's result, whether or not the reader made room first: none is left for the next flush
        var result = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
        return new FlushResult(isCanceled: false, isCompleted: result.IsCompleted);
    }

    /// <summary>
    /// The token for a heartbeat's asynchronous write or flush (the scheduler's thread) through <paramref name="pipe"/>: a
    /// <see cref="Pipe"/>'s own writer has committed the bytes when it waits for its reader, so <paramref name="stop"/> (the
    /// wrapper disposed) may end that wait and the heartbeat stays whole in the pipe, leaving when the peer reads; any other
    /// writer's write (a stream's) cannot be withdrawn, and gets no token.
    /// </summary>
    public static CancellationToken WaitEndedBy(PipeWriter? pipe, CancellationToken stop) => IsPipes(pipe) ? stop : CancellationToken.None;

    private static bool IsPipes([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] PipeWriter? writer) => writer?.GetType() == PipesOwnWriter;
}

using System.IO.Pipelines;

namespace KeepAlive.Net.Streams;

/// <summary>
/// A <see cref="Pipe"/>'s own writer (a transport's, as Kestrel's) commits the bytes of a flush or <c>WriteAsync</c> before it
/// waits for its reader: a cancellation then ends only that wait, and the message is whole in the pipe, so a heartbeat may
/// follow it. A writer over a stream (<see cref="PipeWriter.Create(System.IO.Stream, StreamPipeWriterOptions?)"/>) passes the
/// token to the stream's write, which it may stop midway. Used by <see cref="ActivityPipeWriter"/> (a
/// <see cref="HeartbeatDuplexPipe"/>'s output) and by <see cref="ScopedWriteStream"/> (a <see cref="HeartbeatStream"/> over that
/// pipe seen as a stream, <see cref="PipeWriter.AsStream(bool)"/>).
/// </summary>
internal static class PipeWait
{
    private static readonly Type PipesOwnWriter = new Pipe().Writer.GetType(); // Pipe's writer type is internal to System.IO.Pipelines

    /// <summary>Whether <paramref name="failure"/> of a flush or write on <paramref name="writer"/> only ended its wait for the reader: nothing of the message was cut.</summary>
    /// <param name="writer">The pipe writer written to, or <see langword="null"/> when the write went to no pipe writer.</param>
    /// <param name="failure">The failure of the application's flush or write.</param>
    public static bool OnlyItsWaitCancelled(PipeWriter? writer, Exception failure) => failure is OperationCanceledException && writer?.GetType() == PipesOwnWriter;
}

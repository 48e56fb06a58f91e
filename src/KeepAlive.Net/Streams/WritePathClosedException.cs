namespace KeepAlive.Net.Streams;

/// <summary>A heartbeat could not be written because its connection's write path is closed for good (the pipe's reader or writer completed).</summary>
internal sealed class WritePathClosedException : IOException
{
    /// <summary>Why a pipe is closed once its reader completed.</summary>
    public const string ReaderCompleted = "the pipe's reader (the transport) has completed";

    public WritePathClosedException(string message)
        : base(message)
    {
    }

    public WritePathClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The heartbeat's failure on a connection closed for <paramref name="reason"/>.</summary>
    public static WritePathClosedException Because(string reason) => new($"The heartbeat was not sent: {reason}, so the connection is closed.");
}

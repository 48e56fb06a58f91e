namespace KeepAlive.Net.Streams;

/// <summary>A heartbeat could not be written because its connection's write path is closed for good (the pipe's reader or writer completed).</summary>
internal sealed class WritePathClosedException : IOException
{
    public WritePathClosedException(string message)
        : base(message)
    {
    }

    public WritePathClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace KeepAlive.Net.Streams;

/// <summary>A heartbeat could not be written because its connection's write path is closed for good (the pipe's reader or writer completed).</summary>
internal sealed class WritePathClosedException(string message) : IOException(message);

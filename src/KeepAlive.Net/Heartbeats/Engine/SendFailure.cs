using System.Net.Sockets;

namespace KeepAlive.Net.Heartbeats;

/// <summary>How a heartbeat's send ended: the exception of a completed send, and whether it means the connection is gone.</summary>
internal static class SendFailure
{
    /// <summary>The exception of a send that has completed, or <see langword="null"/> when it succeeded.</summary>
    /// <param name="completed">A completed send (<see cref="ValueTask.IsCompleted"/>), so nothing blocks here.</param>
    public static Exception? Of(ValueTask completed)
    {
        try
        {
            completed.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    /// <summary>Whether a send failure means the connection is gone for good (reset, aborted, shut down, disposed, a completed pipe).</summary>
    public static bool IsPermanent(Exception failure) => failure switch
    {
        ObjectDisposedException => true,
        Streams.WritePathClosedException => true,
        SocketException socket => IsPermanent(socket.SocketErrorCode),
        IOException { InnerException: SocketException socket } => IsPermanent(socket.SocketErrorCode),
        IOException { InnerException: ObjectDisposedException } => true,
        _ => false,
    };

    private static bool IsPermanent(SocketError error) => error is SocketError.ConnectionReset or SocketError.ConnectionAborted
        or SocketError.Shutdown or SocketError.NotConnected or SocketError.NotSocket or SocketError.OperationAborted or SocketError.Disconnecting;
}

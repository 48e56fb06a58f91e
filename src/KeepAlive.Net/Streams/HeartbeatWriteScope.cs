using System.IO.Pipelines;
using KeepAlive.Net.Streams;

namespace KeepAlive.Net;

/// <summary>
/// Exclusive use of a <see cref="HeartbeatStream"/>'s write path for one message that spans several writes (a header,
/// then a body): no heartbeat and no other writer gets in between until the scope is disposed.
/// </summary>
/// <remarks>
/// Write through <see cref="Stream"/> while the scope is open; writing through the <see cref="HeartbeatStream"/> itself
/// from inside the scope waits for the scope to end, which never happens (a deadlock). Dispose the scope promptly: a
/// heartbeat that falls due meanwhile waits, and is reported late (cause <see cref="HeartbeatDelayCause.SendBlocked"/>)
/// if the scope outlives <see cref="HeartbeatOptions.BlockedCallbackThreshold"/>; if its registration stops meanwhile (the
/// <see cref="HeartbeatStream"/> or the registration disposed) it is cancelled, not written. Disposing does not flush.
/// Disposing the <see cref="HeartbeatStream"/> ends the scope's writes too: its inner stream is closed, or handed back
/// (<c>leaveOpen</c>) to the application, so a write or flush through <see cref="Stream"/> afterwards throws
/// <see cref="ObjectDisposedException"/>, nothing written.
/// </remarks>
public sealed class HeartbeatWriteScope : IDisposable, IAsyncDisposable
{
    private readonly ScopedWriteStream _stream;
    private readonly ActivityWritePath _path;

    internal HeartbeatWriteScope(Stream inner, PipeWriter? innerPipe, ActivityWritePath path)
    {
        _path = path;
        _stream = new ScopedWriteStream(inner, path, endsWithWrapper: true, innerPipe: innerPipe);
    }

    /// <summary>Gets a write-only stream onto the wrapped connection, valid until the scope (or its <see cref="HeartbeatStream"/>) is disposed; every write marks activity, and its <see cref="System.IO.Stream.WriteTimeout"/> is the connection's.</summary>
    public Stream Stream => _stream;

    /// <summary>Ends the message and releases the write path to the next writer or heartbeat. Idempotent.</summary>
    public void Dispose()
    {
        if (_stream.End())
        {
            _path.Exit();
        }
    }

    /// <summary>Ends the message and releases the write path. Idempotent.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

namespace KeepAlive.Net.Tests.Streams;

/// <summary>
/// A connection whose asynchronous writes complete later: after a yield to a timer, as an SslStream's often do, or when
/// the test releases them (cancellation is honoured); with halfBeforeRelease the first half of each write goes out before.
/// The first `freeWrites` writes go out whole at once.
/// </summary>
internal sealed class AsynchronousWriteStream(Task? release = null, bool halfBeforeRelease = false, int freeWrites = 0) : RecordingWriteStream
{
    private int _freeWrites = freeWrites;

    public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsDisposed { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _freeWrites) >= 0)
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return;
        }

        var first = halfBeforeRelease ? buffer.Length / 2 : 0; // a socket send that sent part, then waits for room
        Write(buffer[..first].ToArray(), 0, first);
        WriteStarted.TrySetResult();
        await (release ?? Task.Delay(1, cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);
        Write(buffer[first..].ToArray(), 0, buffer.Length - first);
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}

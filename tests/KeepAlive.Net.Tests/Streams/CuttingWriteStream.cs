namespace KeepAlive.Net.Tests.Streams;

/// <summary>
/// A connection whose write of <paramref name="cut"/> (blocking or asynchronous) puts its first half on the wire, runs
/// <paramref name="whileWriting"/>, then fails with what <paramref name="failure"/> makes: a NetworkStream's write that ran past
/// WriteTimeout, or a WriteAsync cancelled while it waited for room, after part of the message was sent. Other writes go out whole.
/// </summary>
internal sealed class CuttingWriteStream(byte[] cut, Func<Exception> failure, Action? whileWriting = null) : RecordingWriteStream
{
    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!buffer.AsSpan(offset, count).SequenceEqual(cut))
        {
            base.Write(buffer, offset, count);
            return;
        }

        base.Write(buffer, offset, count / 2);
        whileWriting?.Invoke();
        throw failure();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return default;
        }
        catch (Exception exception)
        {
            return ValueTask.FromException(exception);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

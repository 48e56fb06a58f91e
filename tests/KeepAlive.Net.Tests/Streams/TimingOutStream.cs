using System.Net.Sockets;

namespace KeepAlive.Net.Tests.Streams;

/// <summary>A connection whose writes of <paramref name="timingOut"/> time out as a NetworkStream's do; other writes go through.</summary>
internal sealed class TimingOutStream(byte[] timingOut) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (buffer.AsSpan(offset, count).SequenceEqual(timingOut))
        {
            throw TimedOut();
        }
    }

    /// <summary>What a NetworkStream's write that timed out throws.</summary>
    public static IOException TimedOut() => new("Unable to write data to the transport connection: Connection timed out.", new SocketException((int)SocketError.TimedOut));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.ToArray(), 0, buffer.Length);
        return default;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

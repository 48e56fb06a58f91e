namespace KeepAlive.Net.Tests.Streams;

/// <summary>A write-only connection that records what was written to it (thread-safe); subclasses decide when a write goes out.</summary>
internal abstract class RecordingWriteStream : Stream
{
    private readonly MemoryStream _written = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Gets a copy of everything written so far.</summary>
    public byte[] Written()
    {
        lock (_written)
        {
            return _written.ToArray();
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_written)
        {
            _written.Write(buffer, offset, count);
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Buffers;
using System.IO.Pipelines;
using KeepAlive.Net.AspNetCore.Http2;
using static KeepAlive.Net.AspNetCore.Tests.Http2.Http2FrameScannerTests;

namespace KeepAlive.Net.AspNetCore.Tests.Http2;

public sealed class Http2ObservingWriterTests
{
    private static readonly byte[] Ours = Frame(7, 0, 0, new byte[8]);

    [Fact]
    public async Task Inject_WhileKestrelIsInsideAFrame_WritesOursRightAfterThatFrameNotInsideIt()
    {
        var pipe = new Pipe();
        var writer = Writer(pipe);
        var kestrels = Frame(0, 1, 1, new byte[40]);

        Write(writer, kestrels.AsSpan(0, 9));      // the header only
        writer.Inject(Ours);                        // arrives in the middle of Kestrel's frame
        Write(writer, kestrels.AsSpan(9));          // the payload
        await writer.FlushAsync(TestContext.Current.CancellationToken);

        (await ReadAllAsync(pipe.Reader, kestrels.Length + Ours.Length)).Should().Equal(kestrels.Concat(Ours));
    }

    [Fact]
    public async Task Inject_WhileKestrelHoldsMemory_WaitsForItsAdvance()
    {
        var pipe = new Pipe();
        var writer = Writer(pipe);
        var kestrels = Frame(1, 5, 3, new byte[12]);

        var memory = writer.GetMemory(kestrels.Length);  // Kestrel is about to write
        writer.Inject(Ours);
        kestrels.CopyTo(memory);
        writer.Advance(kestrels.Length);
        await writer.FlushAsync(TestContext.Current.CancellationToken);

        (await ReadAllAsync(pipe.Reader, kestrels.Length + Ours.Length)).Should().Equal(kestrels.Concat(Ours));
    }

    [Fact]
    public async Task Inject_WhileKestrelsFlushWaitsOnBackPressure_FlushesOursAfterwardsWithoutTwoFlushesAtOnce()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8, useSynchronizationContext: false));
        var writer = Writer(pipe);
        var kestrels = Frame(0, 0, 1, new byte[64]);

        Write(writer, kestrels);
        var kestrelsFlush = writer.FlushAsync(TestContext.Current.CancellationToken); // pending: nobody reads yet
        kestrelsFlush.IsCompleted.Should().BeFalse("the pipe is past its pause threshold");
        writer.Inject(Ours);                                                           // must not flush while Kestrel's flush is pending
        var received = await ReadAllAsync(pipe.Reader, kestrels.Length + Ours.Length);  // reading releases Kestrel's flush, then ours goes out
        await kestrelsFlush;

        received.Should().Equal(kestrels.Concat(Ours));
    }

    [Fact]
    public async Task Inject_WhenIdle_WritesAndFlushesAtOnce()
    {
        var pipe = new Pipe();
        var writer = Writer(pipe);

        writer.Inject(Ours);

        (await ReadAllAsync(pipe.Reader, Ours.Length)).Should().Equal(Ours);
    }

    // Over TLS Kestrel's transport writer is a StreamPipeWriter over the SslStream, which, unlike a Pipe, loses bytes
    // written while one of its flushes is in flight (the flush resets its buffer when it ends). Kestrel never writes
    // during its own flushes; these prove it never writes into the stream writer during ours, nor we during Kestrel's.
    [Fact]
    public async Task KestrelWrites_WhileOurFlushIsInFlightOverAStream_FollowOursAndNoneIsLost()
    {
        var stream = new GatedStream();
        var writer = Writer(stream);
        var kestrels = Frame(0, 1, 1, new byte[40]);

        writer.Inject(Ours);                                  // our flush starts and waits in the stream
        await stream.WriteStartedAsync();
        Write(writer, kestrels);                              // Kestrel writes a response meanwhile
        var kestrelsFlush = writer.FlushAsync(TestContext.Current.CancellationToken);
        stream.Open();
        await kestrelsFlush;

        stream.Written.Should().Equal(Ours.Concat(kestrels));
    }

    [Fact]
    public async Task Inject_WhileKestrelsFlushIsInFlightOverAStream_WritesOursAfterItAndNoneIsLost()
    {
        var stream = new GatedStream();
        var writer = Writer(stream);
        var kestrels = Frame(0, 1, 1, new byte[40]);

        Write(writer, kestrels);
        var kestrelsFlush = writer.FlushAsync(TestContext.Current.CancellationToken);
        await stream.WriteStartedAsync();
        writer.Inject(Ours);                                  // arrives while Kestrel's flush waits in the stream
        stream.Open();
        await kestrelsFlush;

        (await stream.WaitForAsync(kestrels.Length + Ours.Length)).Should().Equal(kestrels.Concat(Ours));
    }

    [Fact]
    public async Task Complete_WhileOurFlushIsInFlightOverAStream_WritesEverythingFirst()
    {
        var stream = new GatedStream();
        var writer = Writer(stream);
        var kestrels = Frame(1, 5, 3, new byte[12]);

        writer.Inject(Ours);
        await stream.WriteStartedAsync();
        Write(writer, kestrels);                              // Kestrel's last frame, then it completes the transport
        var completed = writer.CompleteAsync();
        stream.Open();
        await completed;

        (await stream.WaitForAsync(Ours.Length + kestrels.Length)).Should().Equal(Ours.Concat(kestrels));
    }

    [Fact]
    public async Task KestrelsFrames_ReportedOnceAFlushThatCoversThemHasCompleted_NotWhenWritten()
    {
        var stream = new GatedStream();
        var frames = new Frames();
        var writer = Writer(stream, frames);
        var lastOfStream1 = Frame(0, 1, 1, new byte[2]);   // DATA, END_STREAM

        Write(writer, lastOfStream1);
        frames.StreamIds.Should().BeEmpty("written is not sent: a closing Kestrel or TLS layer can still drop it");
        var flush = writer.FlushAsync(TestContext.Current.CancellationToken);
        await stream.WriteStartedAsync();
        frames.StreamIds.Should().BeEmpty("the flush has not completed");
        stream.Open();
        await flush;

        frames.StreamIds.Should().Equal(1);
    }

    // A flush of ours that failed with an exception other than the few expected (here the TLS layer's) never ended: Kestrel's
    // next flush waited for it for ever, and the connection hung with its frame writer.
    [Fact]
    public async Task KestrelsFlush_AfterOurFlushFailedWithAnyException_IsNotHeldForEver()
    {
        var writer = Writer(PipeWriter.Create(new FailingStream(), new StreamPipeWriterOptions(leaveOpen: true)));
        writer.Inject(Ours);

        Write(writer, Frame(0, 1, 1, new byte[2]));
        var kestrelsFlush = async () => await writer.FlushAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        await kestrelsFlush.Should().NotThrowAsync<TimeoutException>("the flush of ours that failed has ended");
    }

    /// <summary>A transport whose writes fail as a TLS layer's can (not an IOException).</summary>
    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException(new System.Security.Authentication.AuthenticationException("the TLS session failed"));
    }

    private static Http2ObservingWriter Writer(Pipe pipe) => Writer(pipe.Writer);

    /// <summary>Over a stream, as Kestrel's TLS layer writes: a StreamPipeWriter on the SslStream.</summary>
    private static Http2ObservingWriter Writer(GatedStream stream, IHttp2FrameObserver? observer = null) =>
        Writer(PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)), observer);

    private static Http2ObservingWriter Writer(PipeWriter inner, IHttp2FrameObserver? observer = null)
    {
        var writer = new Http2ObservingWriter(inner, new RetirementTransport(new DuplexPipe(new Pipe().Reader, inner), new Http2GracefulShutdown(), raw: false));
        writer.StartScanning(observer ?? new Frames()).Should().BeTrue();
        return writer;
    }

    private static void Write(PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader, int length)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var bytes = new List<byte>();
        while (bytes.Count < length)
        {
            var result = await reader.ReadAsync(timeout.Token);
            bytes.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
        }

        return [.. bytes];
    }

    private sealed class Frames : IHttp2FrameObserver
    {
        public List<int> StreamIds { get; } = [];

        public void OnProtocolDetected(bool http2)
        {
        }

        public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload) => StreamIds.Add(streamId);
    }

    /// <summary>A stream whose writes wait until it is opened, as an SslStream's do while the socket is slow.</summary>
    private sealed class GatedStream : Stream
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private readonly List<byte> _written = [];

        /// <summary>Waits until a write is waiting in the stream (a flush is in flight).</summary>
        public Task WriteStartedAsync() => _writeStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        public byte[] Written
        {
            get
            {
                lock (_lock)
                {
                    return [.. _written];
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Open() => _open.TrySetResult();

        public async Task<byte[]> WaitForAsync(int length)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (Written.Length < length)
            {
                await Task.Delay(10, timeout.Token);
            }

            return Written;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writeStarted.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
            Append(buffer.Span);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _open.Task.Wait(TestContext.Current.CancellationToken);
            Append(buffer.AsSpan(offset, count));
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Append(ReadOnlySpan<byte> bytes)
        {
            lock (_lock)
            {
                _written.AddRange(bytes.ToArray());
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}

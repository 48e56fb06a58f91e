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

    private static Http2ObservingWriter Writer(Pipe pipe)
    {
        var writer = new Http2ObservingWriter(pipe.Writer, new RetirementTransport(new DuplexPipe(new Pipe().Reader, pipe.Writer), new Http2GracefulShutdown(), raw: false));
        writer.StartScanning(new Ignore()).Should().BeTrue();
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

    private sealed class Ignore : IHttp2FrameObserver
    {
        public void OnProtocolDetected(bool http2)
        {
        }

        public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload)
        {
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}

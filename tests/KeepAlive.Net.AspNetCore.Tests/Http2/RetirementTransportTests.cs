using System.IO.Pipelines;
using System.Net.Sockets;
using KeepAlive.Net.AspNetCore.Http2;

namespace KeepAlive.Net.AspNetCore.Tests.Http2;

/// <summary>The raw transport of a retired connection: what it held back is completed however its linger ends.</summary>
public sealed class RetirementTransportTests
{
    [Theory]
    [InlineData(typeof(SocketException))]
    [InlineData(typeof(ObjectDisposedException))]
    [InlineData(typeof(NotSupportedException))]
    public async Task Linger_RawInputFailsWithAnyException_StillCompletesTheReaderAndWriterItHeldBack(Type failure)
    {
        var input = new FailingReader(failure);
        var output = new Pipe();
        var shutdown = new Http2GracefulShutdown();
        var transport = new RetirementTransport(new DuplexPipe(input, output.Writer), shutdown, raw: true);
        transport.OnProtocolDetected(http2: true);
        shutdown.TryBegin(static () => { }, TimeSpan.FromMinutes(1), TimeProvider.System).Should().BeTrue();
        transport.HoldReaderCompletion().Should().BeTrue();
        transport.HoldWriterCompletion().Should().BeTrue();

        try
        {
            await transport.LingerAsync(TimeSpan.FromSeconds(30), TimeProvider.System);
        }
        catch (Exception ex) when (ex.GetType() == failure)
        {
            // Whether the failure is reported is not the point: what was held back must not stay open.
        }

        input.Completed.Should().BeTrue($"a {failure.Name} from the raw input must not leave the reader it held back open (Kestrel's connection never ends)");
        var written = await output.Reader.ReadAsync(TestContext.Current.CancellationToken);
        while (!written.IsCompleted)
        {
            output.Reader.AdvanceTo(written.Buffer.End);
            written = await output.Reader.ReadAsync(TestContext.Current.CancellationToken);
        }

        written.IsCompleted.Should().BeTrue($"a {failure.Name} from the raw input must not leave the writer it held back open");
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    private sealed class FailingReader(Type failure) : PipeReader
    {
        public bool Completed { get; private set; }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromException<ReadResult>((Exception)Activator.CreateInstance(failure, failure == typeof(ObjectDisposedException) ? ["socket"] : [])!);

        public override bool TryRead(out ReadResult result) => throw new NotSupportedException();

        public override void AdvanceTo(SequencePosition consumed)
        {
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
        }

        public override void CancelPendingRead()
        {
        }

        public override void Complete(Exception? exception = null) => Completed = true;
    }
}

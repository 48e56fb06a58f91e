using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace KeepAlive.Net.AspNetCore.Http2;

/// <summary>
/// A connection's transport as a retiring endpoint sees it: the same bytes both ways, with the client's HTTP/2 frames and
/// the server's followed for <see cref="Http2GracefulShutdown"/>. The transport Kestrel accepted (the raw one) also
/// lingers when a retired connection ends: the reader's completion is held back and the client's last bytes are read
/// until it closes its side, because closing a socket with unread bytes makes the kernel send a RST, which discards
/// whatever the server had not sent yet (the final GOAWAY, the last responses) and makes the client's next write fail.
/// </summary>
internal sealed class RetirementTransport : IDuplexPipe, IHttp2FrameObserver
{
    private readonly IDuplexPipe _inner;
    private readonly Http2GracefulShutdown _shutdown;
    private readonly Http2ObservingReader _input;
    private readonly Http2ObservingWriter _output;
    private readonly bool _raw;
    private int _readerHeld;
    private int _writerHeld;
    private bool _attached;

    public RetirementTransport(IDuplexPipe inner, Http2GracefulShutdown shutdown, bool raw)
    {
        _inner = inner;
        _shutdown = shutdown;
        _raw = raw;
        _output = new Http2ObservingWriter(inner.Output, this);
        _input = new Http2ObservingReader(inner.Input, new Http2FrameScanner(this, clientDirection: true), this);
    }

    /// <summary>Gets the transport this one passes bytes to.</summary>
    public IDuplexPipe Inner => _inner;

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    public void OnProtocolDetected(bool http2) => _attached = http2 && _shutdown.TryAttach(_output);

    public void OnFrame(byte type, byte flags, int streamId, ReadOnlySpan<byte> pingPayload)
    {
        if (_attached)
        {
            _shutdown.OnClientFrame(type, flags, streamId, pingPayload);
        }
    }

    /// <summary>Whether completing the reader waits for <see cref="LingerAsync"/> (the raw transport of a connection we retired).</summary>
    public bool HoldReaderCompletion() => Hold(ref _readerHeld);

    /// <summary>Whether completing the writer waits for <see cref="LingerAsync"/>.</summary>
    public bool HoldWriterCompletion() => Hold(ref _writerHeld);

    /// <summary>
    /// Once the server is done with a retired connection: reads (and drops) what the client still sends until it closes
    /// its side or <paramref name="limit"/> passes, then completes what was held back. It reads whether or not anyone asked
    /// to complete this transport: over TLS the TLS layer ends without completing the transport under it, and in the clear
    /// Kestrel's HTTP/2 layer does not always either, and then the socket was closed right after the final GOAWAY. The
    /// client then read the end of the connection while a request it had queued for it before it saw the first GOAWAY was
    /// still unsent, and failed it ("The HTTP/2 server closed the connection"), where a connection still open has it retried
    /// on a new one.
    /// </summary>
    public async Task LingerAsync(TimeSpan limit, TimeProvider timeProvider)
    {
        using (var timeout = new CancellationTokenSource(limit, timeProvider))
        {
            try
            {
                while (true)
                {
                    // A cancelled read is not the end: Kestrel cancels the pending read when it stops, and with no read
                    // pending the cancellation waits for the next one, ours. Only the client's close or the limit ends it.
                    var result = await _inner.Input.ReadAsync(timeout.Token).ConfigureAwait(false);
                    _inner.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException or InvalidOperationException)
            {
                // The limit passed or the connection went away (or its input was already completed): nothing more to wait for.
            }
            finally
            {
                // Whatever ended the linger (any other failure of the input too, which still reaches Kestrel), what was
                // held back is completed: else Kestrel's connection never ends.
                await CompleteHeldAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task CompleteHeldAsync()
    {
        if (Volatile.Read(ref _readerHeld) != 0)
        {
            await _inner.Input.CompleteAsync().ConfigureAwait(false);
        }

        if (Volatile.Read(ref _writerHeld) != 0)
        {
            await _inner.Output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private bool Hold(ref int held)
    {
        if (!_raw || _shutdown.Phase == Http2ShutdownPhase.Serving)
        {
            return false;
        }

        Volatile.Write(ref held, 1);
        return true;
    }
}

using System.IO.Pipelines;
using KeepAlive.Net.Streams;

namespace KeepAlive.Net;

/// <summary>
/// Wraps a connection's <see cref="IDuplexPipe"/> (System.IO.Pipelines, part of the .NET shared framework) so that
/// heartbeats follow the real traffic: a flush of <see cref="Output"/> that carries bytes marks <see cref="HeartbeatRegistration.MarkActivity"/>,
/// a read of <see cref="Input"/> that brings new bytes marks <see cref="HeartbeatRegistration.MarkPeerActivity"/>, and a
/// heartbeat registered through <see cref="RegisterHeartbeat"/> is written on the same output, never inside a message.
/// </summary>
/// <remarks>
/// A message is everything written to <see cref="Output"/> between two flushes (<c>FlushAsync</c>, or <c>WriteAsync</c>
/// which writes and flushes): the first <c>GetMemory</c>/<c>GetSpan</c>/<c>Advance</c> of a message takes the write path
/// and the flush releases it. A heartbeat due meanwhile is written by that flush's thread, right after the message. The
/// first call of a message waits (blocking the calling thread), over a <see cref="Pipe"/>, only while a heartbeat copies its bytes into it: under
/// back-pressure the heartbeat's own flush is cancelled at once, its bytes left queued for the next flush, so the
/// application never waits for a peer that stopped reading because of a heartbeat; that heartbeat fails as not sent, and
/// later ones write nothing and fail alike until the peer reads again (no pile-up past the pause threshold). Over a stream
/// (<c>PipeWriter.Create</c>), or a writer that cannot count its unflushed bytes, a flush still writing the heartbeat is left to finish, holding the output, and counts as
/// sent (a stream write cannot be withdrawn): the first call of the next message then blocks until that write ends, however
/// long the peer takes to read (a wait past the registration's <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> is
/// logged, <see cref="KeepAliveEventIds.HeartbeatOutputWaiting"/>); completing <see cref="Output"/> returns at once and completes the inner writer once that write has ended. When the pipe's reader (the transport)
/// or the application completes it, the connection is closed for good: the heartbeat's registration raises
/// <see cref="HeartbeatRegistration.PeerDead"/> once and ends; so does it when the application's flush or <c>WriteAsync</c>
/// fails after part of its message may have gone out (a writer over a stream whose write failed midway: no heartbeat may
/// follow that part). <see cref="Output"/> keeps the single-writer rule of
/// <see cref="PipeWriter"/>.
/// </remarks>
public sealed class HeartbeatDuplexPipe : IDuplexPipe
{
    private readonly ActivityWritePath _path = new(nameof(HeartbeatDuplexPipe));
    private readonly ActivityPipeWriter _output;

    /// <summary>Initializes a new instance of the <see cref="HeartbeatDuplexPipe"/> class.</summary>
    /// <param name="innerPipe">The connection's pipe (for example a transport's, or <c>PipeReader.Create</c>/<c>PipeWriter.Create</c> over a stream).</param>
    public HeartbeatDuplexPipe(IDuplexPipe innerPipe)
    {
        ArgumentNullException.ThrowIfNull(innerPipe);
        ArgumentNullException.ThrowIfNull(innerPipe.Input, "innerPipe.Input");
        ArgumentNullException.ThrowIfNull(innerPipe.Output, "innerPipe.Output");
        Input = new ActivityPipeReader(innerPipe.Input, _path);
        _output = new ActivityPipeWriter(innerPipe.Output, _path);
    }

    /// <summary>Gets the reader: reads that bring new bytes mark peer activity.</summary>
    public PipeReader Input { get; }

    /// <summary>Gets the writer: each flush ends a message, and marks activity when the message had bytes.</summary>
    public PipeWriter Output => _output;

    /// <summary>Gets the registration whose activity this pipe marks, or <see langword="null"/> before one is registered or tracked.</summary>
    public HeartbeatRegistration? Registration => _path.Registration;

    /// <summary>Registers a heartbeat that writes and flushes <paramref name="payload"/> on <see cref="Output"/> between messages, and tracks its activity.</summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="payload">The complete heartbeat message of the application protocol; must stay unchanged while registered.</param>
    /// <param name="options">When to send; validated.</param>
    /// <returns>The registration; dispose it before completing the pipe.</returns>
    /// <exception cref="ArgumentException">The payload is empty or the options are invalid.</exception>
    /// <exception cref="InvalidOperationException">This pipe already has a registration, or its output is already completed (the connection is closed).</exception>
    public HeartbeatRegistration RegisterHeartbeat(IHeartbeatScheduler scheduler, ReadOnlyMemory<byte> payload, HeartbeatOptions options)
    {
        ActivityWritePath.CheckPayload(payload);
        if (_output.ClosedReason is { } closed)
        {
            throw new InvalidOperationException($"No heartbeat can be sent on this {nameof(HeartbeatDuplexPipe)}: {closed}, so the connection is closed. Fix: register the heartbeat while the connection is open, and wrap each new connection's pipe in a new {nameof(HeartbeatDuplexPipe)}.");
        }

        return _path.Register(scheduler, options, (_, _) => _output.WriteHeartbeat(payload));
    }

    /// <summary>Marks the activity of a registration whose heartbeat is sent some other way (the caller keeps ownership of it).</summary>
    /// <param name="registration">The registration.</param>
    /// <exception cref="InvalidOperationException">This pipe already has a registration.</exception>
    /// <exception cref="ObjectDisposedException">The registration has ended (disposed, its peer declared dead, or its scheduler stopped).</exception>
    public void TrackActivity(HeartbeatRegistration registration) => _path.Track(registration);
}

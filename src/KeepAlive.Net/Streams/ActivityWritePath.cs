using System.Diagnostics.CodeAnalysis;
using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The one write path of a wrapped connection, shared by the application's messages and the heartbeat: a gate that lets one
/// message through at a time, and the registration whose activity the traffic marks.
/// </summary>
/// <remarks>
/// The heartbeat never waits for the gate, so it never depends on the thread pool and never holds the gate without writing.
/// When the gate is free it takes it without waiting and writes inline, on the scheduler's thread. When a message holds the
/// gate, the heartbeat is left <em>pending</em> and the application thread that ends the message writes it, synchronously,
/// right after the message and before letting the next writer in (<see cref="Exit"/>); its lateness is then measured on that
/// thread (a thread-pool thread there names <see cref="HeartbeatDelayCause.ThreadPoolStarvation"/>). Exactly one of the two
/// writes a pending heartbeat: whoever takes it back with an atomic exchange.
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "The gate and the closing token are never disposed: a heartbeat or writer still releasing the gate, or a wait linked to the token, after the stream is disposed must not throw; SemaphoreSlim holds no unmanaged resource unless AvailableWaitHandle is used, nor a CancellationTokenSource without a timer or WaitHandle.")]
internal sealed class ActivityWritePath
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _closing = new(); // cancelled when the wrapper is disposed (Close): the application's calls still waiting for the gate fail
    private readonly string _owner;
    private readonly PendingHeartbeat _pendingSource;
    private HeartbeatRegistration? _registration;
    private PendingHeartbeat? _pending;
    private Task? _heartbeatWrite; // the scheduler thread's heartbeat write that did not complete at once (waits for room), until replaced
    private Task? _endOfMessageWrite; // a pending heartbeat an application thread ending its message takes and writes, until replaced
    private Exception? _messageCut; // an application's write that failed midway (MessageFailed): no heartbeat goes out after it
    private int _ownsRegistration;
    private ILogger _logger = NullLogger.Instance; // the registered heartbeat's scheduler's: what fails where nobody awaits is logged there
    private TimeSpan _waitReport = Timeout.InfiniteTimeSpan; // the registered heartbeat's BlockedCallbackThreshold: an application's wait behind its write longer than that is logged
    private int _waitReportMilliseconds = Timeout.Infinite; // _waitReport rounded up to the whole milliseconds the gate waits in: never reported before it has passed

    /// <param name="owner">The wrapper's type name, for messages.</param>
    public ActivityWritePath(string owner)
    {
        _owner = owner;
        _pendingSource = new PendingHeartbeat(this);
    }

    public HeartbeatRegistration? Registration => Volatile.Read(ref _registration);

    public Task EnterAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    /// <summary>
    /// Takes the path for an application's blocking call (<paramref name="call"/>), waiting at most
    /// <paramref name="millisecondsTimeout"/> (<see cref="Timeout.Infinite"/>: for ever). Behind a heartbeat's write that waits
    /// for the peer (one that cannot be withdrawn) it waits as long as that write, and once it has waited the registration's
    /// BlockedCallbackThreshold it says so (2013), once per wait.
    /// </summary>
    /// <returns>Whether the path was taken.</returns>
    /// <exception cref="ObjectDisposedException">The wrapper was disposed while the call waited (<see cref="Close"/>).</exception>
    public bool Enter(string call, int millisecondsTimeout = Timeout.Infinite)
    {
        var closing = _closing.Token;
        try
        {
            var report = _waitReportMilliseconds;
            if (report == Timeout.Infinite || (millisecondsTimeout != Timeout.Infinite && millisecondsTimeout <= report))
            {
                return _gate.Wait(millisecondsTimeout, closing);
            }

            if (_gate.Wait(report, closing))
            {
                return true;
            }

            ReportWaiting(call);
            return _gate.Wait(millisecondsTimeout == Timeout.Infinite ? Timeout.Infinite : millisecondsTimeout - report, closing);
        }
        catch (OperationCanceledException closed) when (closing.IsCancellationRequested)
        {
            throw ClosedWhileWaiting(call, closed);
        }
    }

    /// <summary>The asynchronous <see cref="Enter(string, int)"/>, for an application's <paramref name="call"/> that waits without a thread: reported alike.</summary>
    /// <exception cref="ObjectDisposedException">The wrapper was disposed while the call waited (<see cref="Close"/>).</exception>
    public async Task EnterAsync(string call, CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested && TryEnter())
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            if (await _gate.WaitAsync(_waitReportMilliseconds, wait.Token).ConfigureAwait(false))
            {
                return;
            }

            ReportWaiting(call);
            await _gate.WaitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException closed) when (_closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw ClosedWhileWaiting(call, closed);
        }
        catch (OperationCanceledException canceled) when (cancellationToken.IsCancellationRequested)
        {
            throw CanceledBy(canceled, cancellationToken);
        }
    }

    /// <summary>
    /// The caller's cancellation of a wait linked to other tokens, reported with the caller's token, as a stream's or a
    /// pipe's own cancelled call is: the linked token would hide it from <c>catch (OperationCanceledException e) when (e.CancellationToken == token)</c>.
    /// </summary>
    public static OperationCanceledException CanceledBy(OperationCanceledException linked, CancellationToken cancellationToken) =>
        linked.CancellationToken == cancellationToken ? linked : new(linked.Message, linked, cancellationToken);

    /// <summary>The wrapper is disposed: the application's calls still waiting for the path fail (<see cref="ObjectDisposedException"/>), and none waits again.</summary>
    public void Close() => _closing.Cancel();

    /// <summary>Gets whether the wrapper is disposed (<see cref="Close"/>).</summary>
    public bool IsClosed => _closing.IsCancellationRequested;

    /// <summary>Gets a token cancelled when the wrapper is disposed (<see cref="Close"/>).</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Refuses an application's write or flush through a message still open when the wrapper was disposed (<see cref="Close"/>).</summary>
    /// <exception cref="ObjectDisposedException">The wrapper is disposed.</exception>
    public void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ObjectDisposedException(_owner,
                $"The {_owner} was disposed while this message was open: its inner stream is closed, or handed back (leaveOpen) to the application, which may be writing its own frames to it; nothing was written. Fix: end the message (dispose its write scope) before disposing the {_owner}, or treat this as the connection closing.");
        }
    }

    private ObjectDisposedException ClosedWhileWaiting(string call, OperationCanceledException closed) => new(
        $"The {_owner} was disposed while the application's {call} waited for its write path (held by another message or a heartbeat); nothing was written. Fix: finish writing before disposing the connection's wrapper, or treat this as the connection closing.",
        closed);

    /// <summary>Takes the path if it is free, without waiting.</summary>
    /// <returns>Whether the path was taken.</returns>
    public bool TryEnter() => _gate.Wait(0);

    /// <summary>Waits at most <paramref name="millisecondsTimeout"/> (<see cref="Timeout.Infinite"/>: for ever) for the path.</summary>
    /// <returns>Whether the path was taken.</returns>
    public bool Enter(int millisecondsTimeout) => _gate.Wait(millisecondsTimeout);

    /// <summary>
    /// Ends a message: writes a heartbeat that came due meanwhile (on this thread, synchronously), lets the next writer in,
    /// then completes that heartbeat here: its registration's Delayed and PeerDead handlers run on this thread once it no
    /// longer holds the path, so a handler that writes through the wrapper does not wait for its own thread.
    /// </summary>
    public void Exit()
    {
        var pending = Volatile.Read(ref _pending) is null ? null : WriteAtEndOfMessage();
        _gate.Release();
        pending?.Complete();
    }

    // The write is published before the heartbeat is taken (the exchange is a full fence): a Dispose that stops the
    // registration (its cancel takes a pending heartbeat back) and then waits for heartbeat writes either took it first,
    // or sees this write and waits for it (WaitForHeartbeatWrite).
    private PendingHeartbeat? WriteAtEndOfMessage()
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _endOfMessageWrite, written.Task);
        try
        {
            var pending = TakePending();
            pending?.WriteNow();
            return pending;
        }
        finally
        {
            written.SetResult();
        }
    }

    /// <summary>Takes a pending heartbeat to write it now, if there is one (the caller holds the gate).</summary>
    public PendingHeartbeat? TakePending() => Interlocked.Exchange(ref _pending, null);

    /// <summary>The heartbeat's way in: writes at once when the path is free, otherwise leaves the heartbeat to the message in progress.</summary>
    /// <param name="context">The heartbeat.</param>
    /// <param name="writeHeartbeat">
    /// How its registration's heartbeat is written while the caller holds the gate; with <c>synchronous</c> it must use
    /// blocking writes only (the caller is an application thread ending its message, which must not wait for the thread pool).
    /// </param>
    public ValueTask SendHeartbeatAsync(HeartbeatContext context, Func<HeartbeatContext, bool, ValueTask> writeHeartbeat)
    {
        if (_gate.Wait(0))
        {
            return WriteHoldingGate(context, writeHeartbeat);
        }

        var pending = _pendingSource;
        var task = pending.Arm(context, writeHeartbeat);
        Volatile.Write(ref _pending, pending);
        if (_gate.Wait(0))
        {
            // The message ended before the heartbeat was published: write it here, unless a writer took it meanwhile.
            if (TakePending() is not null)
            {
                pending.Disarm();
                return WriteHoldingGate(context, writeHeartbeat);
            }

            _gate.Release();
        }

        pending.CancelWith(context.CancellationToken); // a registration already stopped fails it here, at once
        return task;
    }

    /// <summary>
    /// An application's write or flush in a message, which had started (its token was not cancelled before), failed with
    /// <paramref name="failure"/>. A refusal of the call itself wrote nothing: <see cref="InvalidOperationException"/> (a
    /// stream or pipe whose writer is completed, a body refusing blocking writes, <see cref="ObjectDisposedException"/>),
    /// <see cref="NotSupportedException"/>, <see cref="ArgumentException"/>. Any other failure (an <see cref="IOException"/>: a
    /// blocking write past WriteTimeout, a reset; a write cancelled while it waited for room) may come after part of the
    /// message went out: a heartbeat after it would be read as the rest of that message, so none is written any more: the
    /// next one (the one pending at the end of this message, or the scheduler's next) fails for good, which ends the
    /// registration with PeerDead. Called by the writer holding the path, before it lets it go.
    /// </summary>
    public void MessageFailed(Exception failure)
    {
        if (failure is not (InvalidOperationException or NotSupportedException or ArgumentException))
        {
            Interlocked.CompareExchange(ref _messageCut, failure, null);
        }
    }

    /// <summary>Data went out: in WhenIdle mode the next heartbeat waits a full interval.</summary>
    public void MarkActivity() => Registration?.MarkActivity();

    /// <summary>Bytes came in (zero bytes is the end of the stream, not the peer speaking).</summary>
    public void MarkPeerActivity(long bytesRead)
    {
        if (bytesRead > 0)
        {
            Registration?.MarkPeerActivity();
        }
    }

    public void Track(HeartbeatRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (!registration.IsLive)
        {
            throw new ObjectDisposedException(nameof(HeartbeatRegistration),
                $"The heartbeat registration '{registration.Name}' has ended (disposed, its peer declared dead, or its scheduler stopped), so the writes of this {_owner} would mark activity nothing reads. Fix: track a live registration, registered for this connection.");
        }

        ThrowIfTracking();
        if (Interlocked.CompareExchange(ref _registration, registration, null) is not null)
        {
            ThrowIfTracking();
        }
    }

    /// <summary>Registers the heartbeat that <paramref name="writeHeartbeat"/> writes through this path (see <see cref="SendHeartbeatAsync"/>).</summary>
    public HeartbeatRegistration Register(IHeartbeatScheduler scheduler, HeartbeatOptions options, Func<HeartbeatContext, bool, ValueTask> writeHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfTracking();

        // Each registration carries its own writer: a registration racing this one (and refused) never replaces it. Both ways a
        // heartbeat is written (by the scheduler's thread, or by the thread ending a message) call it holding the path, so it
        // sees a message cut before the path was let go.
        Func<HeartbeatContext, bool, ValueTask> write = (context, synchronous) => Volatile.Read(ref _messageCut) is { } cut
            ? ValueTask.FromException(WritePathClosedException.MessageCut(_owner, cut))
            : writeHeartbeat(context, synchronous);
        var registration = scheduler.Register(options, context => SendHeartbeatAsync(context, write));
        if (Interlocked.CompareExchange(ref _registration, registration, null) is not null)
        {
            registration.Dispose();
            ThrowIfTracking();
        }

        _logger = registration.Logger; // read now: the registration ends (disposed first, as documented) before the output is completed
        _waitReport = options.BlockedCallbackThreshold;
        _waitReportMilliseconds = (int)Math.Ceiling(_waitReport.TotalMilliseconds);
        Interlocked.Exchange(ref _ownsRegistration, 1); // a full fence: a wrapper disposed meanwhile either sees it or is seen after
        return registration;
    }

    /// <summary>Stops a heartbeat registered through this path; a registration passed to <see cref="Track"/> belongs to the caller.</summary>
    public void DisposeOwnedRegistration()
    {
        if (Interlocked.Exchange(ref _ownsRegistration, 0) == 1)
        {
            Registration?.Dispose();
        }
    }

    /// <summary>Logs (2012) that completing the output failed where nobody awaits it: after a heartbeat's write that the completion waited for.</summary>
    public void ReportCompletionFailed(Exception failure) =>
        Log.HeartbeatOutputCompletionFailed(_logger, failure, _owner, Registration?.Name ?? string.Empty);

    /// <summary>Takes back a pending heartbeat whose registration stopped: it is cancelled, not written after the message.</summary>
    public void CancelPending(CancellationToken cancellationToken) => TakePending()?.Fail(
        new OperationCanceledException("The heartbeat's registration stopped while the heartbeat waited for a message to end; it was not written.", cancellationToken));

    /// <summary>Fails a pending heartbeat for good: the connection is closed and no message will end to write it.</summary>
    public void FailPending(Exception reason) => TakePending()?.Fail(reason);

    internal static ReadOnlyMemory<byte> CheckPayload(ReadOnlyMemory<byte> payload) => payload.IsEmpty
        ? throw new ArgumentException("The heartbeat payload is empty; a zero-byte write puts nothing on the wire and refreshes no idle timer. Fix: pass the application protocol's heartbeat or ping message.", nameof(payload))
        : payload;

    // The scheduler's thread holds the gate: write (asynchronously, so a full socket buffer never blocks it) and let go when done.
    private ValueTask WriteHoldingGate(HeartbeatContext context, Func<HeartbeatContext, bool, ValueTask> writeHeartbeat)
    {
        ValueTask write;
        try
        {
            context.ReportSendStarted();
            write = writeHeartbeat(context, false);
        }
        catch (Exception exception)
        {
            _gate.Release();
            return ValueTask.FromException(exception);
        }

        if (write.IsCompleted)
        {
            _gate.Release();
            return write;
        }

        // Rare (the socket's buffer is full): kept as a Task so a Dispose that hands the inner stream back can wait for it.
        var released = ReleaseWhenWritten(write).AsTask();
        Volatile.Write(ref _heartbeatWrite, released);
        return new ValueTask(released);
    }

    /// <summary>
    /// Waits until no heartbeat is still being written (the scheduler thread's, waiting for room from a slow peer, or one an
    /// application thread writes at the end of its message), at most <paramref name="millisecondsTimeout"/>
    /// (<see cref="Timeout.Infinite"/>: for ever); its failure is the heartbeat's, reported by the scheduler. Returns whether
    /// none is left. Call once the registration is stopped, so none starts.
    /// </summary>
    public async ValueTask<bool> WaitForHeartbeatWriteAsync(int millisecondsTimeout)
    {
        if (AnyHeartbeatWriteInFlight() is not { } write)
        {
            return true;
        }

        await Task.WhenAny(write, Task.Delay(millisecondsTimeout)).ConfigureAwait(false);
        return write.IsCompleted;
    }

    /// <summary>The blocking <see cref="WaitForHeartbeatWriteAsync"/>, for <see cref="Stream.Dispose()"/>.</summary>
    public bool WaitForHeartbeatWrite(int millisecondsTimeout) =>
        AnyHeartbeatWriteInFlight() is not { } write || ((IAsyncResult)write).AsyncWaitHandle.WaitOne(millisecondsTimeout);

    private Task? AnyHeartbeatWriteInFlight() =>
        (HeartbeatWriteInFlight, Volatile.Read(ref _endOfMessageWrite) is { IsCompleted: false } atTheEnd ? atTheEnd : null) switch
        {
            (null, var atTheEndOfAMessage) => atTheEndOfAMessage,
            (var fromTheScheduler, null) => fromTheScheduler,
            (var both, var andThisOne) => Task.WhenAll(both, andThisOne),
        };

    /// <summary>Gets the heartbeat of the scheduler's thread still being written (waiting for room from a slow peer), which holds the path until it ends; <see langword="null"/> when none is.</summary>
    public Task? HeartbeatWriteInFlight => Volatile.Read(ref _heartbeatWrite) is { IsCompleted: false } write ? write : null;

    private async ValueTask ReleaseWhenWritten(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // An application's wait for the path has lasted the registration's BlockedCallbackThreshold: said (2013) when a
    // heartbeat's write that cannot be withdrawn holds it.
    private void ReportWaiting(string call)
    {
        if (HeartbeatWriteInFlight is not null)
        {
            Log.HeartbeatOutputWaiting(_logger, call, _owner, Registration?.Name ?? string.Empty, _waitReport.TotalMilliseconds);
        }
    }

    private void ThrowIfTracking()
    {
        if (Registration is { } existing)
        {
            throw new InvalidOperationException(existing.IsLive
                ? $"This {_owner} already tracks the heartbeat registration '{existing.Name}'. Fix: wrap each connection once and give the wrapper one registration (RegisterHeartbeat or TrackActivity, not both)."
                : $"This {_owner} already had the heartbeat registration '{existing.Name}', which has ended (disposed, stopped by a send that failed for good, or its scheduler stopped); a wrapper takes one registration for its connection's life. Fix: close this connection and wrap the new one in a new {_owner}.");
        }
    }
}

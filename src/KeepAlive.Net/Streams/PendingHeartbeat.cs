using System.Threading.Tasks.Sources;

namespace KeepAlive.Net.Streams;

/// <summary>
/// A heartbeat that came due while a message held the write path: the scheduler sees its send pending, and the application
/// thread that ends the message writes it (<see cref="WriteNow"/>) and, once it has let the path go, completes it there
/// (<see cref="Complete"/>), inline, with no thread-pool hop.
/// One per write path, reused (a registration has one heartbeat in flight at a time), so deferring allocates nothing.
/// </summary>
internal sealed class PendingHeartbeat(ActivityWritePath path) : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core; // RunContinuationsAsynchronously stays false: complete inline
    private HeartbeatContext _context;
    private Func<HeartbeatContext, bool, ValueTask>? _write;
    private Exception? _failure; // how WriteNow ended, until Complete reports it
    private CancellationTokenRegistration _cancel; // only the scheduler's side (Arm, CancelWith) touches it, one heartbeat at a time

    public ValueTask Arm(HeartbeatContext context, Func<HeartbeatContext, bool, ValueTask> writeHeartbeat)
    {
        _cancel.Unregister(); // the previous heartbeat's, done by now
        _core.Reset();
        _context = context;
        _write = writeHeartbeat;
        return new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// Called once the heartbeat is published as pending: when its registration stops (disposed, with its stream or by
    /// hand, or its scheduler disposed) while the message still holds the path, the heartbeat fails at once as cancelled
    /// (neither sent nor failed), instead of staying in flight until the message ends, or for ever if it never does.
    /// </summary>
    public void CancelWith(CancellationToken cancellationToken) =>
        _cancel = cancellationToken.UnsafeRegister(static (state, token) => ((ActivityWritePath)state!).CancelPending(token), path);

    /// <summary>Takes the heartbeat back before anyone saw its task (the path became free at once).</summary>
    public void Disarm()
    {
        _context = default;
        _write = null;
    }

    /// <summary>Writes the heartbeat on the calling thread, which holds the path, with blocking writes; <see cref="Complete"/> reports it.</summary>
    public void WriteNow()
    {
        var context = _context;
        try
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            context.ReportSendStarted();
            var write = _write!(context, true);
            if (write.IsCompleted)
            {
                write.GetAwaiter().GetResult();
            }
            else
            {
                write.AsTask().GetAwaiter().GetResult(); // a user writer that awaited something other than a write
            }

            _failure = null;
        }
        catch (Exception exception)
        {
            _failure = exception;
        }
    }

    /// <summary>Completes the heartbeat <see cref="WriteNow"/> wrote, inline on the calling thread (which has let the path go).</summary>
    public void Complete()
    {
        if (_failure is { } failure)
        {
            _failure = null;
            _core.SetException(failure);
        }
        else
        {
            _core.SetResult(true);
        }
    }

    /// <summary>Completes the heartbeat as failed without writing it.</summary>
    public void Fail(Exception reason) => _core.SetException(reason);

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

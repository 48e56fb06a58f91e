using System.Diagnostics.CodeAnalysis;

namespace KeepAlive.Net.Streams;

/// <summary>
/// The one write path of a wrapped connection, shared by the application's writes and the heartbeat: a gate that
/// lets one message through at a time, and the registration whose activity the traffic marks.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The gate is never disposed: a heartbeat or writer still releasing it after the stream is disposed must not throw; SemaphoreSlim holds no unmanaged resource unless AvailableWaitHandle is used.")]
internal sealed class ActivityWritePath
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _owner;
    private HeartbeatRegistration? _registration;
    private int _ownsRegistration;

    public ActivityWritePath(string owner) => _owner = owner;

    public HeartbeatRegistration? Registration => Volatile.Read(ref _registration);

    public Task EnterAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    public void Enter() => _gate.Wait();

    public void Exit() => _gate.Release();

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
        ThrowIfTracking();
        if (Interlocked.CompareExchange(ref _registration, registration, null) is not null)
        {
            ThrowIfTracking();
        }
    }

    public HeartbeatRegistration Register(IHeartbeatScheduler scheduler, HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendThroughPath)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfTracking();
        var registration = scheduler.Register(options, sendThroughPath);
        if (Interlocked.CompareExchange(ref _registration, registration, null) is not null)
        {
            registration.Dispose();
            ThrowIfTracking();
        }

        Volatile.Write(ref _ownsRegistration, 1);
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

    /// <summary>Writes a heartbeat when the path is free: never between the writes of one message.</summary>
    public async ValueTask SendHeartbeatAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await write(state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Exit();
        }
    }

    private void ThrowIfTracking()
    {
        if (Registration is { } existing)
        {
            throw new InvalidOperationException(
                $"This {_owner} already tracks the heartbeat registration '{existing.Name}'. Fix: wrap each connection once and give the wrapper one registration (RegisterHeartbeat or TrackActivity, not both).");
        }
    }

    internal static ReadOnlyMemory<byte> CheckPayload(ReadOnlyMemory<byte> payload) => payload.IsEmpty
        ? throw new ArgumentException("The heartbeat payload is empty; a zero-byte write puts nothing on the wire and refreshes no idle timer. Fix: pass the application protocol's heartbeat or ping message.", nameof(payload))
        : payload;
}

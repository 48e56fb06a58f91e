using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>One connection's heartbeat in a <see cref="HeartbeatScheduler"/>. Dispose it to stop; no heartbeat starts after <see cref="Dispose"/> returns.</summary>
public sealed class HeartbeatRegistration : IDisposable
{
    private readonly HeartbeatScheduler _scheduler;
    private CancellationTokenSource? _cancellation;
    private int _state;
    private long _lastActivity;
    private long _lastPeerActivity;

    internal HeartbeatRegistration(HeartbeatScheduler scheduler, HeartbeatOptions options, Func<HeartbeatContext, ValueTask> callback, DriftTracker tracker, long now)
    {
        _scheduler = scheduler;
        Callback = callback;
        Tracker = tracker;
        tracker.EventSender = this;
        Mode = options.Mode;
        Interval = scheduler.ToTimestampTicks(options.Interval);
        Jitter = scheduler.ToTimestampTicks(options.Jitter);
        Timeout = options.Timeout;
        TimeoutTicks = options.Timeout is { } timeout ? scheduler.ToTimestampTicks(timeout) : 0;
        BlockedThresholdTicks = scheduler.ToTimestampTicks(options.BlockedCallbackThreshold);
        Beat = new BeatTimer(this);
        Liveness = options.Timeout is null ? null : new LivenessTimer(this);
        _lastActivity = now;
        _lastPeerActivity = now;
        Nominal = now + Interval;
        CompletionCallback = () => _scheduler.CompleteAsync(this);
    }

    /// <summary>Raised once when the peer was silent for longer than <see cref="HeartbeatOptions.Timeout"/>. Runs on a scheduler thread: close or reconnect from here; an exception is logged and ignored.</summary>
    public event EventHandler<PeerDeadEventArgs>? PeerDead;

    /// <summary>Raised for every delayed heartbeat, with its lateness and cause. Runs on a scheduler thread; keep it short.</summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed
    {
        add => Tracker.Delayed += value;
        remove => Tracker.Delayed -= value;
    }

    /// <summary>Gets the name from <see cref="HeartbeatOptions.Name"/>, or an empty string.</summary>
    public string Name => Tracker.Name;

    internal Func<HeartbeatContext, ValueTask> Callback { get; }

    internal DriftTracker Tracker { get; }

    internal HeartbeatMode Mode { get; }

    internal long Interval { get; }

    internal long Jitter { get; }

    internal TimeSpan? Timeout { get; }

    internal long TimeoutTicks { get; }

    internal long BlockedThresholdTicks { get; }

    internal BeatTimer Beat { get; }

    internal LivenessTimer? Liveness { get; }

    internal Action CompletionCallback { get; }

    internal ref int State => ref _state;

    internal long LastActivity => Volatile.Read(ref _lastActivity);

    internal long LastPeerActivity => Volatile.Read(ref _lastPeerActivity);

    // In-flight heartbeat, owned by whichever thread runs it.
    internal long Nominal { get; set; }

    internal long Due { get; set; }

    internal long Start { get; set; }

    internal long Sequence { get; set; }

    internal bool PreviousOverran { get; set; }

    internal bool Overloaded { get; set; }

    internal int QueuedAhead { get; set; }

    internal bool BlockedReported { get; set; }

    internal ValueTask Pending { get; set; }

    // Intrusive list of asynchronous sends in flight, watched for blocking.
    internal HeartbeatRegistration? PreviousInFlight { get; set; }

    internal HeartbeatRegistration? NextInFlight { get; set; }

    internal bool IsInFlightListed { get; set; }

    internal CancellationToken CancellationToken
    {
        get
        {
            try
            {
                if (_cancellation is null)
                {
                    var created = CancellationTokenSource.CreateLinkedTokenSource(_scheduler.StoppingToken);
                    if (Interlocked.CompareExchange(ref _cancellation, created, null) is not null)
                    {
                        created.Dispose();
                    }
                    else if (Volatile.Read(ref _state) == RegistrationState.Disposed)
                    {
                        created.Cancel();
                    }
                }

                return _cancellation!.Token;
            }
            catch (ObjectDisposedException)
            {
                return new CancellationToken(canceled: true); // disposed meanwhile
            }
        }
    }

    /// <summary>Records that data was sent on the connection: in <see cref="HeartbeatMode.WhenIdle"/> the next heartbeat waits a full interval from now. Lock-free.</summary>
    public void MarkActivity() => Volatile.Write(ref _lastActivity, _scheduler.TimeProvider.GetTimestamp());

    /// <summary>Records that the peer was heard from: the liveness timer (<see cref="HeartbeatOptions.Timeout"/>) restarts. Lock-free.</summary>
    public void MarkPeerActivity() => Volatile.Write(ref _lastPeerActivity, _scheduler.TimeProvider.GetTimestamp());

    /// <summary>Gets a snapshot of this registration's counters and lateness.</summary>
    /// <returns>The snapshot.</returns>
    public HeartbeatStatistics GetStatistics() => Tracker.GetStatistics();

    /// <summary>Stops the heartbeat. A send already running finishes; no new one starts.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, RegistrationState.Disposed) == RegistrationState.Disposed)
        {
            return;
        }

        _scheduler.Unregister(this);
        var cancellation = Interlocked.Exchange(ref _cancellation, new CancellationTokenSource());
        _cancellation.Cancel();
        if (cancellation is not null)
        {
            try
            {
                cancellation.Cancel();
            }
            catch (AggregateException)
            {
                // A user's cancellation callback threw; stopping must not.
            }

            cancellation.Dispose(); // also unlinks it from the scheduler's token
        }
    }

    internal void RaisePeerDead(long now)
    {
        if (Volatile.Read(ref _state) == RegistrationState.Disposed || Timeout is not { } timeout)
        {
            return;
        }

        var silent = _scheduler.TimeProvider.GetElapsedTime(LastPeerActivity, now);
        var reason = FormattableString.Invariant(
            $"nothing heard from the peer for {KeepAliveFormat.Duration(silent)}, over the timeout of {KeepAliveFormat.Duration(timeout)} (no MarkPeerActivity)");
        if (!Tracker.TryRecordPeerDead(reason))
        {
            return;
        }

        try
        {
            PeerDead?.Invoke(this, new PeerDeadEventArgs(this, silent, timeout, reason));
        }
        catch (Exception exception)
        {
            Tracker.ReportHandlerFailure(exception, nameof(PeerDead));
        }
    }
}

using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Heartbeats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net;

/// <summary>
/// Sends heartbeats for any number of connections from threads it owns (a timer thread, a few dispatcher threads and
/// a watchdog; never the thread pool), so thread-pool starvation cannot make a heartbeat late. Measures every
/// heartbeat's lateness and names the cause of each delayed one. One scheduler serves a whole process.
/// </summary>
/// <remarks>
/// Heartbeats are never early (none starts before its due time) and never sent as a burst: after a stall one heartbeat
/// is sent and the schedule re-based, and the heartbeats folded into it are counted as skipped.
/// </remarks>
public sealed partial class HeartbeatScheduler : IHeartbeatScheduler, IAsyncDisposable, IDisposable
{
    private readonly ILogger _logger;
    private readonly HeartbeatMetrics _metrics;
    private readonly RuntimeSampler _sampler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _heapLock = new();
    private readonly TimerHeap _heap = new();
    private readonly DispatcherPool? _pool;
    private readonly int _overloadQueueLength;
    private int _registrationCount;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="HeartbeatScheduler"/> class and starts its threads.</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the logger; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>KeepAlive.Net</c> meter; a private meter when <see langword="null"/>.</param>
    /// <param name="options">Thread settings; defaults when <see langword="null"/>.</param>
    public HeartbeatScheduler(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, HeartbeatSchedulerOptions? options = null)
        : this(timeProvider, loggerFactory, meterFactory, options, startThreads: true)
    {
    }

    /// <summary>Initializes a new instance; without threads, tests drive it with <see cref="RunDue"/> and <see cref="CheckInFlight"/>.</summary>
    internal HeartbeatScheduler(TimeProvider? timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, HeartbeatSchedulerOptions? options, bool startThreads)
    {
        options ??= new HeartbeatSchedulerOptions();
        if (options.DispatcherThreadCount < 1 || options.MaxDispatcherThreadCount < options.DispatcherThreadCount)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"DispatcherThreadCount is {options.DispatcherThreadCount} and MaxDispatcherThreadCount {options.MaxDispatcherThreadCount}; DispatcherThreadCount must be at least 1 and at most MaxDispatcherThreadCount. Fix: keep the defaults (2 and 16)."), nameof(options));
        }

        TimeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)loggerFactory?.CreateLogger<HeartbeatScheduler>() ?? NullLogger.Instance;
        _metrics = new HeartbeatMetrics(meterFactory);
        _sampler = RuntimeSampler.Acquire();
        _overloadQueueLength = options.OverloadQueueLength;
        StoppingToken = _stopping.Token;
        if (startThreads)
        {
            _pool = new DispatcherPool(this, _logger, options.DispatcherThreadCount, options.MaxDispatcherThreadCount);
            StartTimerThread();
            Log.HeartbeatSchedulerLifecycle(_logger, "started", options.DispatcherThreadCount);
        }
    }

    /// <summary>Gets the number of live registrations.</summary>
    public int RegistrationCount => Volatile.Read(ref _registrationCount);

    internal TimeProvider TimeProvider { get; }

    internal CancellationToken StoppingToken { get; }

    /// <inheritdoc />
    public HeartbeatRegistration Register(HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sendHeartbeat);
        HeartbeatOptionsValidator.ThrowIfInvalid(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var tracker = new DriftTracker(options, TimeProvider, _logger, _metrics, _sampler);
        var now = TimeProvider.GetTimestamp();
        var registration = new HeartbeatRegistration(this, options, sendHeartbeat, tracker, now);
        var wake = false;
        lock (_heapLock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            registration.Due = registration.Nominal + NextJitter(registration);
            _heap.Insert(registration.Beat, registration.Due);
            wake |= registration.Beat.HeapIndex == 0;
            if (registration.Liveness is { } liveness)
            {
                _heap.Insert(liveness, now + registration.TimeoutTicks);
                wake |= liveness.HeapIndex == 0;
            }
        }

        Interlocked.Increment(ref _registrationCount);
        _metrics.Registrations.Add(1);
        Log.HeartbeatRegistered(_logger, tracker.Name, options.Mode, options.Interval, options.Timeout, options.PeerIdleTimeout);
        if (wake)
        {
            Wake();
        }

        return registration;
    }

    /// <summary>Stops every thread and every registration. Sends already running finish on their own.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_heapLock)
        {
            while (_heap.Count > 0)
            {
                var node = _heap.Pop();
                var owner = node is BeatTimer beat ? beat.Owner : ((LivenessTimer)node).Owner;
                Interlocked.Exchange(ref owner.State, RegistrationState.Disposed);
            }
        }

        _metrics.Registrations.Add(-Interlocked.Exchange(ref _registrationCount, 0));

        StopTimerThread();
        _pool?.Dispose();
        _stopping.Cancel();
        _stopping.Dispose();
        _sampler.Release();
        _metrics.Dispose();
        Log.HeartbeatSchedulerLifecycle(_logger, "stopped", 0);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    internal long ToTimestampTicks(TimeSpan value) => (long)(value.Ticks * ((double)TimeProvider.TimestampFrequency / TimeSpan.TicksPerSecond));

    internal void Unregister(HeartbeatRegistration registration)
    {
        lock (_heapLock)
        {
            _heap.Remove(registration.Beat);
            if (registration.Liveness is { } liveness)
            {
                _heap.Remove(liveness);
            }
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            Interlocked.Decrement(ref _registrationCount);
            _metrics.Registrations.Add(-1);
        }

        Log.HeartbeatUnregistered(_logger, registration.Name, registration.Tracker.SentCount);
    }

    private static long NextJitter(HeartbeatRegistration registration) =>
        registration.Jitter <= 0 ? 0 : (long)(Random.Shared.NextDouble() * registration.Jitter);
}

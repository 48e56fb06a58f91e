using System.Diagnostics.Metrics;
using KeepAlive.Net.Heartbeats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net;

/// <summary>
/// Lateness accounting for an application that keeps its own heartbeat timer (a <see cref="PeriodicTimer"/>, a
/// <see cref="System.Threading.Timer"/>, a loop with <see cref="Task.Delay(TimeSpan)"/>): tell it when each heartbeat
/// was due and when it was sent, and it measures, warns, attributes causes and records metrics exactly as
/// <see cref="HeartbeatScheduler"/> does. This is how to find out whether existing heartbeat code is late.
/// </summary>
/// <remarks>
/// Evidence for the cause (thread-pool queue and threads, GC pauses, process pauses) is sampled by a dedicated
/// thread, so thread-pool starvation is recognised even when the thread calling <see cref="Record(long, long)"/> is
/// itself a starved thread-pool thread. Thread-safe.
/// </remarks>
public sealed class DriftMonitor : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly HeartbeatMetrics _metrics;
    private readonly RuntimeSampler _sampler;
    private readonly DriftTracker _tracker;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="DriftMonitor"/> class.</summary>
    /// <param name="options">The heartbeat's interval, thresholds and peer idle timeout; validated like a registration's.</param>
    /// <param name="timeProvider">The clock the timestamps come from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the logger; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>KeepAlive.Net</c> meter; a private meter when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public DriftMonitor(HeartbeatOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        HeartbeatOptionsValidator.ThrowIfInvalid(options);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = new HeartbeatMetrics(meterFactory);
        _sampler = RuntimeSampler.Acquire();
        var logger = (ILogger?)loggerFactory?.CreateLogger<DriftMonitor>() ?? NullLogger.Instance;
        _tracker = new DriftTracker(options, _timeProvider, logger, _metrics, _sampler) { EventSender = this };
    }

    /// <summary>Raised for every delayed heartbeat, on the thread that called Record; exceptions are logged and ignored.</summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed
    {
        add => _tracker.Delayed += value;
        remove => _tracker.Delayed -= value;
    }

    /// <summary>Records a heartbeat that was due at <paramref name="dueTimestamp"/> and sent at <paramref name="sentTimestamp"/>.</summary>
    /// <param name="dueTimestamp">When it was due, from <see cref="TimeProvider.GetTimestamp"/> of the monitor's clock.</param>
    /// <param name="sentTimestamp">When the send started, from the same clock.</param>
    /// <returns>The accounting: lateness, cause, whether it was delayed or over the budget.</returns>
    public HeartbeatLatenessReport Record(long dueTimestamp, long sentTimestamp) =>
        RecordCore(dueTimestamp, sentTimestamp, TimeSpan.Zero, null);

    /// <summary>Records a heartbeat with the start and end of its send, so its duration is measured too.</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <param name="sendStartTimestamp">When the send started.</param>
    /// <param name="sendEndTimestamp">When the send completed.</param>
    /// <returns>The accounting.</returns>
    public HeartbeatLatenessReport Record(long dueTimestamp, long sendStartTimestamp, long sendEndTimestamp) =>
        RecordCore(dueTimestamp, sendStartTimestamp, _timeProvider.GetElapsedTime(sendStartTimestamp, sendEndTimestamp), null);

    /// <summary>Records a heartbeat that is being sent now (the send started at the current timestamp).</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <returns>The accounting.</returns>
    public HeartbeatLatenessReport RecordSentNow(long dueTimestamp) =>
        RecordCore(dueTimestamp, _timeProvider.GetTimestamp(), TimeSpan.Zero, null);

    /// <summary>Records a heartbeat whose send failed.</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <param name="sendStartTimestamp">When the send started.</param>
    /// <param name="exception">Why it failed.</param>
    /// <returns>The accounting.</returns>
    public HeartbeatLatenessReport RecordFailure(long dueTimestamp, long sendStartTimestamp, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return RecordCore(dueTimestamp, sendStartTimestamp, _timeProvider.GetElapsedTime(sendStartTimestamp), exception);
    }

    /// <summary>Gets a snapshot of the counters and lateness recorded so far.</summary>
    /// <returns>The snapshot.</returns>
    public HeartbeatStatistics GetStatistics() => _tracker.GetStatistics();

    /// <summary>Stops sampling evidence and releases the meter.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _sampler.Release();
            _metrics.Dispose();
        }
    }

    private HeartbeatLatenessReport RecordCore(long due, long start, TimeSpan sendDuration, Exception? failure)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var blocked = sendDuration >= _tracker.BlockedThreshold;
        if (blocked)
        {
            _tracker.RecordBlocked(sendDuration, "send reported to DriftMonitor");
        }

        return _tracker.Record(due, start, sendDuration, failure, blocked, 0, overloaded: false);
    }
}

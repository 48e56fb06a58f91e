using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
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
/// The cause is read from what the runtime shows when the late heartbeat is recorded: GC pause time since the previous
/// record (the late window's baseline) and queued thread-pool work (no thread of its own). A paused process is told apart from
/// starvation only by a <see cref="HeartbeatScheduler"/>'s own timer thread; here it is reported as Unknown with that note.
/// Thread-safe.
/// </remarks>
public sealed class DriftMonitor : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly HeartbeatTelemetry _telemetry;
    private readonly BeatSettings _settings;
    private readonly SlotExtras _extras = new();
    private readonly Lock _lock = new();
    private long _gcAtLastRecord = TimerLoop.GcPauseTicks();
    private BeatCounters _counters;
    private int _disposed;
    // The latest of each recorded heartbeat's due time and send start, 0 before the first: the overdue watch expects the next
    // one an interval after it. A heartbeat sent late stands for its due time, but a timer's next tick comes after its send.
    private long _lastHeartbeat;
    private long _lastActivity; // MarkActivity's latest, 0 before the first: in WhenIdle, traffic postpones the next heartbeat
    private OverdueWatch? _watch;

    /// <summary>Initializes a new instance of the <see cref="DriftMonitor"/> class.</summary>
    /// <param name="options">
    /// The heartbeat's interval, thresholds and peer idle timeout; validated like a registration's. Its lateness budget counts
    /// a spread only when <see cref="HeartbeatOptions.Spread"/> is set: the default one is the scheduler's, and the application's
    /// timer is not spread.
    /// </param>
    /// <param name="timeProvider">The clock the timestamps come from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the logger; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>KeepAlive.Net</c> meter; a private meter when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public DriftMonitor(HeartbeatOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        HeartbeatOptionsValidator.ThrowIfInvalid(options);
        _timeProvider = timeProvider ?? TimeProvider.System;
        var key = BeatSettings.KeyOf(options);
        if (options.Spread is null)
        {
            // The default spread is the scheduler's (rule 7 moves first heartbeats of a burst later); the application's own
            // timer is never spread, so its budget keeps that time: PeerIdleTimeout - Interval - Jitter.
            key = key with { Spread = TimeSpan.Zero, LatenessBudget = options.LatenessBudgetWith(TimeSpan.Zero) };
        }

        _settings = new BeatSettings(key, _timeProvider);
        var logger = (ILogger?)loggerFactory?.CreateLogger<DriftMonitor>() ?? NullLogger.Instance;
        _telemetry = new HeartbeatTelemetry(logger, new HeartbeatMetrics(meterFactory));
    }

    /// <summary>Raised for every delayed heartbeat, on the thread that called Record; exceptions are logged and ignored.</summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed
    {
        add
        {
            lock (_lock)
            {
                _extras.Delayed += value;
            }
        }

        remove
        {
            lock (_lock)
            {
                _extras.Delayed -= value;
            }
        }
    }

    /// <summary>Records a heartbeat that was due at <paramref name="dueTimestamp"/> and sent at <paramref name="sentTimestamp"/>.</summary>
    /// <param name="dueTimestamp">When it was due, from <see cref="TimeProvider.GetTimestamp"/> of the monitor's clock.</param>
    /// <param name="sentTimestamp">When the send started, from the same clock.</param>
    /// <returns>The accounting: lateness, cause, whether it was delayed or over the budget.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A timestamp is not from the monitor's clock: zero or negative, a send timestamp after now, or a due timestamp more than <see cref="HeartbeatOptions.Interval"/> after now.</exception>
    /// <exception cref="ObjectDisposedException">The monitor is disposed.</exception>
    public HeartbeatLatenessReport Record(long dueTimestamp, long sentTimestamp) =>
        RecordCore(dueTimestamp, sentTimestamp, sentTimestamp, null);

    /// <summary>Records a heartbeat with the start and end of its send, so its duration is measured too.</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <param name="sendStartTimestamp">When the send started.</param>
    /// <param name="sendEndTimestamp">When the send completed; not before the start.</param>
    /// <returns>The accounting.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A timestamp is not from the monitor's clock (see <see cref="Record(long, long)"/>), or the end is before the start.</exception>
    /// <exception cref="ObjectDisposedException">The monitor is disposed.</exception>
    public HeartbeatLatenessReport Record(long dueTimestamp, long sendStartTimestamp, long sendEndTimestamp) =>
        RecordCore(dueTimestamp, sendStartTimestamp, sendEndTimestamp, null);

    /// <summary>Records a heartbeat that is being sent now (the send started at the current timestamp).</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <returns>The accounting.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is not from the monitor's clock (see <see cref="Record(long, long)"/>).</exception>
    /// <exception cref="ObjectDisposedException">The monitor is disposed.</exception>
    public HeartbeatLatenessReport RecordSentNow(long dueTimestamp)
    {
        var now = _timeProvider.GetTimestamp();
        return RecordCore(dueTimestamp, now, now, null);
    }

    /// <summary>Records a heartbeat whose send failed.</summary>
    /// <param name="dueTimestamp">When it was due.</param>
    /// <param name="sendStartTimestamp">When the send started.</param>
    /// <param name="exception">Why it failed.</param>
    /// <returns>The accounting.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A timestamp is not from the monitor's clock (see <see cref="Record(long, long)"/>).</exception>
    /// <exception cref="ObjectDisposedException">The monitor is disposed.</exception>
    public HeartbeatLatenessReport RecordFailure(long dueTimestamp, long sendStartTimestamp, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return RecordCore(dueTimestamp, sendStartTimestamp, _timeProvider.GetTimestamp(), exception);
    }

    /// <summary>
    /// Records that the connection carried data now. In <see cref="HeartbeatMode.WhenIdle"/> (the default), where the
    /// application skips its heartbeat while traffic flows, the overdue watch (<see cref="WatchForOverdue"/>) then expects the
    /// next heartbeat an <see cref="HeartbeatOptions.Interval"/> after the later of the last heartbeat and the last activity,
    /// as the scheduler's <see cref="HeartbeatRegistration.MarkActivity"/> does. In <see cref="HeartbeatMode.FixedRate"/> a
    /// heartbeat is due every interval whatever the traffic, so a mark moves nothing. Lock-free; after <see cref="Dispose"/> it
    /// does nothing (a read or write loop may still mark traffic while the application shuts down).
    /// </summary>
    public void MarkActivity() => InterlockedMax.Raise(ref _lastActivity, _timeProvider.GetTimestamp());

    /// <summary>Gets a snapshot of the counters and lateness recorded so far.</summary>
    /// <returns>The snapshot.</returns>
    public HeartbeatStatistics GetStatistics() => HeartbeatTelemetry.Snapshot(ref _counters, _extras, peerDead: false);

    /// <summary>
    /// Watches, on a thread of its own, for the application's next heartbeat: when none is recorded by
    /// <see cref="HeartbeatOptions.Interval"/> after the last one (its due time, or its send when that was later; in
    /// <see cref="HeartbeatMode.WhenIdle"/>, or after the last <see cref="MarkActivity"/> when that was later) plus the lateness from which a heartbeat is
    /// delayed (<see cref="HeartbeatOptions.DriftWarningThreshold"/>, or half the lateness budget when less), warning 2014
    /// (<see cref="KeepAliveEventIds.HeartbeatOverdue"/>) says so while the stall is still going on, once per stall, with its
    /// likely cause and what is left of the budget, and counts it once in <c>keepalive.heartbeat.overdue</c> (the keep-alive
    /// health check reads it). Without it, a stall shows only when the late heartbeat is finally recorded,
    /// which may be after the peer closed the connection. The thread wakes once per interval at rest; a timer would not do,
    /// since its callback waits in the same thread-pool queue that delays the application's heartbeat.
    /// </summary>
    /// <returns>The watch: disposing it stops the thread. Disposing the monitor stops it too.</returns>
    /// <remarks>
    /// For a heartbeat recorded every <see cref="HeartbeatOptions.Interval"/> (a <see cref="PeriodicTimer"/>, a timer), or one
    /// the application skips while traffic flows in <see cref="HeartbeatMode.WhenIdle"/> and tells the monitor of that traffic
    /// with <see cref="MarkActivity"/>: a heartbeat skipped without a mark would be reported overdue.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The monitor is already watched.</exception>
    /// <exception cref="NotSupportedException">The monitor's clock is not <see cref="TimeProvider.System"/>: the watch waits in real time.</exception>
    /// <exception cref="ObjectDisposedException">The monitor is disposed.</exception>
    public IDisposable WatchForOverdue()
    {
        ThrowIfDisposed("no watch was started. Fix: create a new DriftMonitor and watch it");
        if (_timeProvider != TimeProvider.System)
        {
            throw new NotSupportedException(FormattableString.Invariant(
                $"The DriftMonitor '{_settings.Name}' reads its timestamps from a custom TimeProvider, but its overdue watch waits on a thread of its own in real time, so it would judge your clock's timestamps by the system's. Fix: create the DriftMonitor with TimeProvider.System (or null) to watch it."));
        }

        lock (_lock)
        {
            if (_watch is not null)
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"The DriftMonitor '{_settings.Name}' is already watched for overdue heartbeats: one watch says each stall once. Fix: dispose the first watch before starting another, or keep using it."));
            }

            return _watch = new OverdueWatch(_settings.Name, ExpectedHeartbeat, _settings.Interval, HeartbeatTelemetry.LateFrom(_settings), WarnOverdue, EndWatch);
        }
    }

    /// <summary>Releases the meter, and stops the overdue watch.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            OverdueWatch? watch;
            lock (_lock)
            {
                watch = _watch;
            }

            watch?.Dispose();
            _telemetry.Dispose();
        }
    }

    private void ThrowIfDisposed(string consequence)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(DriftMonitor), $"The DriftMonitor '{_settings.Name}' is disposed (its meter released); {consequence}.");
        }
    }

    private void EndWatch(OverdueWatch watch)
    {
        lock (_lock)
        {
            if (_watch == watch)
            {
                _watch = null;
            }
        }
    }

    // When the next heartbeat is expected, 0 while none is: an interval after the last one, postponed by traffic in WhenIdle
    // by the scheduler's own rule (SchedulePolicy.AfterActivity), which moves nothing in FixedRate.
    private long ExpectedHeartbeat()
    {
        var (last, activity) = (Interlocked.Read(ref _lastHeartbeat), Interlocked.Read(ref _lastActivity));
        return last == 0 && activity == 0 ? 0 : SchedulePolicy.AfterActivity(_settings, last == 0 ? 0 : last + _settings.IntervalTicks, activity);
    }

    // On the watch's thread: the heartbeat expected at expectedDue was not recorded by now, LateFrom later.
    private void WarnOverdue(long expectedDue, long now)
    {
        var last = expectedDue - _settings.IntervalTicks; // the heartbeat or the activity it is expected an interval after
        var since = expectedDue > Interlocked.Read(ref _lastHeartbeat) + _settings.IntervalTicks
            ? "the connection's last activity (MarkActivity: in WhenIdle traffic postpones the heartbeat)"
            : "the last one (due or sent, whichever was later)";
        var overdue = _timeProvider.GetElapsedTime(expectedDue, now);
        var gc = TimeSpan.FromTicks(TimerLoop.GcPauseTicks() - Interlocked.Read(ref _gcAtLastRecord));
        var (cause, evidence) = CauseAnalyzer.AnalyzeWindow(gc, overdue, sendBlocked: false, stillWaiting: true);
        // The terms the budget took off: a spread only when one is set (the constructor leaves the default one out).
        var terms = _settings.Key.Spread > TimeSpan.Zero ? "Interval - Jitter - Spread" : "Interval - Jitter";
        var budget = _settings.Margin is not { } margin
            ? "No Heartbeat:PeerIdleTimeout is set, so how long the peer waits is not known"
            : overdue < margin
                ? FormattableString.Invariant($"{KeepAliveDuration.FormatMeasured(margin - overdue)} of its lateness budget of {KeepAliveDuration.Format(margin)} (PeerIdleTimeout {_settings.PeerText} - {terms}) is left before the peer's idle timeout may close the connection")
                : FormattableString.Invariant($"Its lateness budget of {KeepAliveDuration.Format(margin)} (PeerIdleTimeout {_settings.PeerText} - {terms}) is used up: the peer's idle timeout may already have closed the connection");
        _telemetry.Metrics.Overdue.Add(1, _settings.NameTag, HeartbeatMetrics.CauseTag(cause));
        Diagnostics.Log.HeartbeatOverdue(_telemetry.Logger, _settings.Name, KeepAliveDuration.FormatMeasured(overdue), since, KeepAliveDuration.FormatMeasured(_timeProvider.GetElapsedTime(last, now)),
            KeepAliveDuration.Format(_settings.Interval), KeepAliveDuration.Format(HeartbeatTelemetry.LateFrom(_settings)), cause, evidence, budget);
    }

    private HeartbeatLatenessReport RecordCore(long dueTimestamp, long sendStartTimestamp, long sendEndTimestamp, Exception? failure)
    {
        ThrowIfDisposed("nothing was recorded. Fix: stop the timer whose heartbeats it measures before disposing it, or create a new DriftMonitor");
        var now = _timeProvider.GetTimestamp();
        CheckTimestamp(dueTimestamp, long.MaxValue, nameof(dueTimestamp));
        CheckDue(dueTimestamp, now);
        CheckTimestamp(sendStartTimestamp, now, nameof(sendStartTimestamp));
        CheckTimestamp(sendEndTimestamp, now, nameof(sendEndTimestamp));
        var (due, start, end) = (dueTimestamp, sendStartTimestamp, sendEndTimestamp);
        if (end < start)
        {
            throw new ArgumentOutOfRangeException(nameof(sendEndTimestamp), end, FormattableString.Invariant(
                $"The send ended ({end}) before it started ({start}). Fix: pass the start and end timestamps in that order."));
        }

        var lateness = _timeProvider.GetElapsedTime(due, start);
        lateness = lateness < TimeSpan.Zero ? TimeSpan.Zero : lateness;
        var sendDuration = _timeProvider.GetElapsedTime(start, end);
        var blocked = sendDuration >= _settings.BlockedThreshold;
        if (blocked)
        {
            _telemetry.Blocked(_settings, new ExtrasAccess(_extras), sendDuration, "send reported to DriftMonitor");
        }

        var outcome = HeartbeatTelemetry.Classify(_settings, lateness, sendDuration, SchedulePolicy.AfterSend(_settings, due, start, lateness).Skipped, failure);
        if (outcome.IsDelayed)
        {
            var gcSinceLastRecord = TimeSpan.FromTicks(TimerLoop.GcPauseTicks() - Interlocked.Read(ref _gcAtLastRecord));
            var (cause, text) = _timeProvider == TimeProvider.System
                ? CauseAnalyzer.AnalyzeWindow(gcSinceLastRecord, lateness, blocked)
                : (blocked ? HeartbeatDelayCause.SendBlocked : HeartbeatDelayCause.Unknown, "timestamps from a custom clock: no runtime evidence");
            outcome = outcome with { Cause = cause, Evidence = text };
        }

        lock (_lock)
        {
            _telemetry.Record(ref _counters, _settings, new ExtrasAccess(_extras), outcome, this);
        }

        Interlocked.Exchange(ref _gcAtLastRecord, TimerLoop.GcPauseTicks()); // the previous record is the GC evidence's baseline
        InterlockedMax.Raise(ref _lastHeartbeat, Math.Max(due, start));
        return outcome.ToReport();
    }

    // A heartbeat is recorded when (or after) it is sent, so its due time cannot be far ahead of now: a timer firing a
    // little early is fine, a whole interval is not the monitor's clock (DateTime ticks are, on the system clock: they
    // would make every heartbeat on time, silently).
    private void CheckDue(long dueTimestamp, long now)
    {
        if (dueTimestamp > now && dueTimestamp - now > _settings.IntervalTicks)
        {
            var ahead = _timeProvider.GetElapsedTime(now, dueTimestamp);
            throw new ArgumentOutOfRangeException(nameof(dueTimestamp), dueTimestamp, FormattableString.Invariant(
                $"dueTimestamp is {dueTimestamp} on the monitor's clock, {KeepAliveDuration.FormatMeasured(ahead)} after now ({now}): more than the Interval ({KeepAliveDuration.Format(_settings.Interval)}) ahead, so it is not when a heartbeat being recorded was due. Fix: take it from the monitor's TimeProvider.GetTimestamp() (Stopwatch.GetTimestamp() for the system clock), never a DateTime's ticks or a future due time."));
        }
    }

    private static void CheckTimestamp(long value, long latest, string name)
    {
        if (value <= 0 || value > latest)
        {
            var rule = latest == long.MaxValue ? "a timestamp must be positive" : FormattableString.Invariant($"a send timestamp must be positive and not after now ({latest})");
            throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant(
                $"{name} is {value} on the monitor's clock, but {rule}. Fix: take it from the monitor's TimeProvider.GetTimestamp() (Stopwatch.GetTimestamp() for the system clock) when the heartbeat was due or sent; never 0, a tick count or a DateTime."));
        }
    }
}

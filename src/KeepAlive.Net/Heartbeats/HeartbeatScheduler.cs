using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Heartbeats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net;

/// <summary>
/// Sends heartbeats for any number of connections from threads it owns, never the thread pool, so thread-pool
/// starvation cannot make a heartbeat late. One timer thread sleeps precisely until the next due time (a futex on
/// Linux; no spinning, no polling) and runs everything due as a batch, inline; a standby thread takes over when a
/// callback blocks and helps with big batches. Every heartbeat's lateness is measured and a late one is reported with
/// its cause. One scheduler serves a whole process.
/// </summary>
/// <remarks>
/// Heartbeats are never early (none starts before its due time) and never sent as a burst: after a stall one heartbeat
/// is sent and the schedule re-based, and the heartbeats folded into it are counted as skipped. A registration costs
/// about 125 bytes; an idle scheduler's threads sleep until something is due. See docs/ARCHITECTURE.md.
/// </remarks>
public sealed class HeartbeatScheduler : IHeartbeatScheduler, IAsyncDisposable, IDisposable
{
    private readonly HeartbeatTelemetry _telemetry;
    private readonly SlotTable _slots;
    private readonly TimerWait _wait;
    private readonly Inbox _inbox;
    private readonly TimerLoop _loop;
    private readonly BeatRunner _runner;
    private readonly TimerThreads? _threads;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<WorkItem> _batch = [];
    private readonly List<(int Slot, long Key)> _keys = [];
    private int _registrationCount;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="HeartbeatScheduler"/> class and starts its threads.</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Creates the logger; nothing is logged when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>KeepAlive.Net</c> meter; a private meter when <see langword="null"/>.</param>
    /// <param name="options">Thread settings; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The thread settings are out of range.</exception>
    public HeartbeatScheduler(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, HeartbeatSchedulerOptions? options = null)
        : this(timeProvider, loggerFactory, meterFactory, options, startThreads: true)
    {
    }

    /// <summary>Initializes a new instance; without threads, tests drive it with <see cref="RunDue"/>.</summary>
    internal HeartbeatScheduler(TimeProvider? timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, HeartbeatSchedulerOptions? options, bool startThreads)
    {
        options ??= new HeartbeatSchedulerOptions();
        Validate(options);
        TimeProvider = timeProvider ?? TimeProvider.System;
        var logger = (ILogger?)loggerFactory?.CreateLogger<HeartbeatScheduler>() ?? NullLogger.Instance;
        _telemetry = new HeartbeatTelemetry(logger, new HeartbeatMetrics(meterFactory));
        _slots = new SlotTable(TimeProvider);
        _wait = TimerWait.Create(TimeProvider);
        _inbox = new Inbox(_wait);
        _loop = new TimerLoop(_slots, _inbox, TimeProvider, () => RegistrationCount);
        _runner = new BeatRunner(_slots, _inbox, _telemetry, TimeProvider, _stopping.Token);
        if (startThreads)
        {
            _threads = new TimerThreads(_loop, _runner, _slots, _inbox, _wait, TimeProvider, _telemetry.Logger, options); // the guarded logger: a log call on its threads never throws
            Log.HeartbeatSchedulerLifecycle(_telemetry.Logger, "started", options.StandbyThreadCount, _wait.Kind);
        }
    }

    /// <summary>Gets the number of live registrations; 0 once the scheduler is disposed.</summary>
    public int RegistrationCount => Volatile.Read(ref _disposed) != 0 ? 0 : Volatile.Read(ref _registrationCount);

    internal TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public HeartbeatRegistration Register(HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sendHeartbeat);
        ThrowIfDisposed();

        // Options equal to a live registration's were validated already: a million registrations validate once.
        var index = _slots.Allocate(options, out var settings);
        var handle = new HeartbeatRegistration(this, index);
        var now = TimeProvider.GetTimestamp();
        ref var slot = ref _slots[index];
        slot.Callback = sendHeartbeat;
        slot.Handle = handle;
        slot.LastActivity = now;
        slot.LastPeerActivity = now;
        slot.Nominal = SchedulePolicy.FirstNominal(settings, now);
        var key = SchedulePolicy.Key(SchedulePolicy.Due(settings, index, slot.Nominal), SchedulePolicy.LivenessDeadline(settings, 0, now));
        slot.TimerKey = key;
        Volatile.Write(ref slot.State, SlotState.Scheduled | SlotState.Unplaced);
        Interlocked.Increment(ref _registrationCount);
        _telemetry.Metrics.Registrations.Add(1);
        settings.LogRegistered(_telemetry.Logger); // every registration, as 2001 every unregistration (formatted only when Debug is on)

        _inbox.Registered(index, key);
        CountOutIfDisposed();
        ThrowIfDisposed(); // disposed since the check above: the scheduler stopped without this registration, which would never send
        return handle;
    }

    /// <summary>Stops every registration and signals the threads to end, without waiting for them: a callback running now finishes on its own, no other starts.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _slots.CancelAll();
        _threads?.Dispose();
        CountOut();
        _stopping.Dispose();
        if (_threads is null)
        {
            _wait.Dispose(); // with threads, the last of them releases it
        }

        _telemetry.Dispose();
        Log.HeartbeatSchedulerLifecycle(_telemetry.Logger, "stopped", 0, _wait.Kind);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    /// <summary>Processes everything due now on the calling thread (the test hook of a scheduler without threads), which owns the loop meanwhile.</summary>
    /// <returns>How many heartbeats and peer-dead events were started.</returns>
    internal int RunDue()
    {
        _loop.Step(TimeProvider.GetTimestamp(), long.MaxValue, _batch);
        var first = TimeProvider.GetTimestamp();
        var started = 0;
        foreach (var item in _batch)
        {
            started += item.Kind == WorkKind.Blocked ? 0 : 1;
            _runner.Run(item, _keys);
            _loop.Push(_keys);
        }

        _loop.Policy.RecordBatch(_batch.Count, TimeProvider.GetTimestamp() - first); // the heartbeats' own time, as the timer thread measures it
        _batch.Clear();
        return started;
    }

    internal ref Slot SlotOf(int index) => ref _slots[index];

    internal BeatSettings SettingsOf(int index) => _slots.SettingsOf(_slots[index]);

    /// <summary>Gets a value indicating whether <see cref="Dispose"/> was called: its registrations have stopped.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Gets the logger of this scheduler's events, for a wrapper that reports on its registration's connection.</summary>
    internal ILogger Logger => _telemetry.Logger;

    /// <summary>The extras of a slot, made if needed, or <see langword="null"/> once the slot is no longer <paramref name="owner"/>'s.</summary>
    internal SlotExtras? ExtrasOf(int index, HeartbeatRegistration owner) => _slots.GetOrAddExtras(index, owner);

    internal SlotExtras? FindExtras(int index) => _slots.ExtrasOf(index);

    internal CancellationToken TokenOf(int index, HeartbeatRegistration owner) => Volatile.Read(ref _disposed) != 0 ? new CancellationToken(true) : _runner.TokenOf(index, owner);

    internal void ReportSendStarted(int index, long due) => _runner.ReportSendStarted(index, due);

    /// <summary>Ends a registration: no heartbeat starts afterwards; the owner of the loop frees its slot.</summary>
    internal void Unregister(int index, string name)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        ref var slot = ref _slots[index];
        var phase = SlotState.Phase(Volatile.Read(ref slot.State));
        while (phase is SlotState.Scheduled or SlotState.Running or SlotState.Stopped)
        {
            var seen = SlotState.TryMove(ref slot.State, phase, SlotState.Disposed);
            if (seen == phase)
            {
                break;
            }

            phase = seen;
        }

        if (phase is SlotState.Scheduled or SlotState.Stopped)
        {
            _inbox.Free(index); // a running heartbeat frees it when it ends
        }

        _slots.ExtrasOf(index)?.Cancel();
        Interlocked.Decrement(ref _registrationCount);
        _telemetry.Metrics.Registrations.Add(-1);
        CountOutIfDisposed();
        var sent = Interlocked.Read(ref slot.Counters.Sent);
        // Disposed while its heartbeat runs (from inside its own callback, say): that one is not counted yet.
        Log.HeartbeatUnregistered(_telemetry.Logger, name, sent, phase == SlotState.Running ? ", and one being sent (counted in its statistics if it completes)" : string.Empty);
    }

    // Counts every registration out of the live count and the registrations gauge (which a meter factory's meter may share
    // with other schedulers), once the scheduler is disposed.
    private void CountOut()
    {
        if (Interlocked.Exchange(ref _registrationCount, 0) is var live && live != 0)
        {
            _telemetry.Metrics.Registrations.Add(-live);
        }
    }

    // A Register or Unregister that changed the count while Dispose counted everything out (it had passed its disposed
    // check) settles its own change, so the gauge ends at zero: not +1 for a registration refused, not -1 for one counted twice.
    private void CountOutIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            CountOut();
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(HeartbeatScheduler), "The heartbeat scheduler is disposed: its threads have stopped, so a registration would never send; nothing was registered. Fix: register while the scheduler runs (a host's scheduler stops with the host), or create a new HeartbeatScheduler.");
        }
    }

    private static void Validate(HeartbeatSchedulerOptions options)
    {
        var errors = HeartbeatOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid heartbeat scheduler options. " + string.Join(" ", errors.Select(static e => e.Message)), nameof(options));
        }
    }
}

using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Everything a heartbeat reports: per-stream counters, metrics, logs and the <c>Delayed</c> and <c>PeerDead</c> events. The
/// engine hands it one <see cref="BeatOutcome"/> per heartbeat after deciding everything; it writes only its own counters.
/// An on-time heartbeat allocates nothing. Shared by <see cref="HeartbeatScheduler"/> and <see cref="DriftMonitor"/>.
/// </summary>
internal sealed class HeartbeatTelemetry(ILogger logger, HeartbeatMetrics metrics) : IDisposable
{
    public HeartbeatMetrics Metrics { get; } = metrics;

    /// <summary>Gets the application's logger, guarded: a log call never throws (<see cref="GuardedLogger"/>), on the engine's threads or any other.</summary>
    public ILogger Logger { get; } = GuardedLogger.Wrap(logger, metrics.LogFailed);

    public static int ToMicros(TimeSpan value) =>
        value <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, value.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>Decides whether a heartbeat is delayed and against which budget (the cause is added by the caller).</summary>
    /// <summary>The lateness from which a heartbeat is delayed (events 2002, 2003): <see cref="HeartbeatOptions.DriftWarningThreshold"/>, or half the lateness budget when that is less.</summary>
    public static TimeSpan LateFrom(BeatSettings settings) =>
        settings.Margin is { } margin && margin / 2 < settings.DriftWarningThreshold ? margin / 2 : settings.DriftWarningThreshold;

    public static BeatOutcome Classify(BeatSettings settings, TimeSpan lateness, TimeSpan sendDuration, long skipped, Exception? failure)
    {
        var budgetExceeded = settings.Margin is { } margin && lateness >= margin;
        var budgetWarning = settings.Margin is { } half && lateness >= half / 2;
        var delayed = lateness >= LateFrom(settings) || budgetExceeded;
        return new BeatOutcome(lateness, sendDuration, skipped, failure, delayed, budgetWarning, budgetExceeded);
    }

    /// <summary>Accounts for one heartbeat: its stream's counters, incidents, metrics, logs and the Delayed event.</summary>
    public void Record(ref BeatCounters counters, BeatSettings settings, ExtrasAccess extras, in BeatOutcome outcome, object? sender)
    {
        var latenessMicros = ToMicros(outcome.Lateness);
        var sendMicros = ToMicros(outcome.SendDuration);
        if (latenessMicros == int.MaxValue || sendMicros == int.MaxValue)
        {
            var incidents = extras.GetOrAdd().Incidents;
            Volatile.Write(ref incidents.LastLongLatenessTicks, outcome.Lateness.Ticks);
            Volatile.Write(ref incidents.LastLongSendTicks, outcome.SendDuration.Ticks);
        }

        Volatile.Write(ref counters.LastLatenessMicros, latenessMicros);
        Volatile.Write(ref counters.LastSendMicros, sendMicros);
        InterlockedMax.Raise(ref counters.MaxLatenessMicros, latenessMicros);
        var metrics = Metrics;
        var causeTag = HeartbeatMetrics.CauseTag(outcome.Cause);
        if (metrics.Lateness.Enabled)
        {
            metrics.Lateness.Record(outcome.Lateness.TotalSeconds, settings.NameTag, causeTag);
        }

        if (metrics.SendDuration.Enabled)
        {
            metrics.SendDuration.Record(outcome.SendDuration.TotalSeconds, settings.NameTag);
        }

        if (outcome.Failure is null)
        {
            Volatile.Write(ref counters.Sent, counters.Sent + 1); // one writer at a time: the send that owns the stream
            if (metrics.Sent.Enabled)
            {
                metrics.Sent.Add(1, settings.NameTag);
            }

            if (extras.Get() is { } known)
            {
                Volatile.Write(ref known.Incidents.ConsecutiveFailures, 0);
            }
        }
        else
        {
            var incidents = extras.GetOrAdd().Incidents;
            Interlocked.Increment(ref incidents.Failed);
            var consecutive = Interlocked.Increment(ref incidents.ConsecutiveFailures);
            metrics.Failed.Add(1, settings.NameTag);
            if (!outcome.EndsRegistration)
            {
                Log.HeartbeatSendFailed(Logger, outcome.Failure, settings.Name, consecutive);
            }
        }

        if (outcome.Skipped > 0 || outcome.IsDelayed || latenessMicros == int.MaxValue)
        {
            RecordIncident(settings, extras.GetOrAdd(), sender, outcome, causeTag);
        }
    }

    public void Blocked(BeatSettings settings, ExtrasAccess extras, TimeSpan running, string kind)
    {
        Interlocked.Increment(ref extras.GetOrAdd().Incidents.Blocked);
        Metrics.Blocked.Add(1, settings.NameTag);
        Log.HeartbeatSendBlocked(Logger, settings.Name, running, settings.BlockedThreshold, kind);
    }

    /// <summary>Reports a peer the engine declared dead (once) and raises the event.</summary>
    public void PeerDead(BeatSettings settings, ExtrasAccess extras, HeartbeatRegistration registration, TimeSpan silentFor, TimeSpan timeout, string reason, Exception? failure)
    {
        Metrics.PeerDead.Add(1, settings.NameTag, HeartbeatMetrics.PeerDeadReasonTag(sendFailed: failure is not null));
        Log.PeerDead(Logger, failure, settings.Name, reason);
        if (extras.Get()?.PeerDead is { } handler)
        {
            Raise(handler, registration, new PeerDeadEventArgs(registration, silentFor, timeout, reason), settings, nameof(HeartbeatRegistration.PeerDead));
        }
    }

    /// <summary>Builds a statistics snapshot from a stream's counters and incidents.</summary>
    public static HeartbeatStatistics Snapshot(ref BeatCounters counters, SlotExtras? extras, bool peerDead)
    {
        var incidents = extras?.Incidents;
        var maxTicks = Micros(Volatile.Read(ref counters.MaxLatenessMicros)).Ticks;
        return new HeartbeatStatistics
        {
            Sent = Interlocked.Read(ref counters.Sent),
            Failed = incidents is null ? 0 : Interlocked.Read(ref incidents.Failed),
            Skipped = incidents is null ? 0 : Interlocked.Read(ref incidents.Skipped),
            Delayed = incidents is null ? 0 : Interlocked.Read(ref incidents.Delayed),
            Blocked = incidents is null ? 0 : Interlocked.Read(ref incidents.Blocked),
            MaxLateness = TimeSpan.FromTicks(incidents is null ? maxTicks : Math.Max(maxTicks, Interlocked.Read(ref incidents.MaxLatenessTicks))),
            LastLateness = Exact(Volatile.Read(ref counters.LastLatenessMicros), incidents is null ? 0 : Volatile.Read(ref incidents.LastLongLatenessTicks)),
            LastSendDuration = LastSendDuration(ref counters, extras),
            LastDelayCause = incidents is null ? HeartbeatDelayCause.None : (HeartbeatDelayCause)Volatile.Read(ref incidents.LastCause),
            PeerDead = peerDead,
        };
    }

    /// <summary>The last completed send's duration, exact beyond the counter's saturation (kept in the incidents then).</summary>
    public static TimeSpan LastSendDuration(ref BeatCounters counters, SlotExtras? extras) =>
        Exact(Volatile.Read(ref counters.LastSendMicros), extras is null ? 0 : Volatile.Read(ref extras.Incidents.LastLongSendTicks));

    public void Dispose() => Metrics.Dispose();

    private static TimeSpan Micros(int value) => TimeSpan.FromTicks(value * TimeSpan.TicksPerMicrosecond);

    // A saturated counter (int.MaxValue microseconds) stands for the exact value its incident kept.
    private static TimeSpan Exact(int micros, long longTicks) => micros == int.MaxValue && longTicks > 0 ? TimeSpan.FromTicks(longTicks) : Micros(micros);

    private void RecordIncident(BeatSettings settings, SlotExtras extras, object? sender, in BeatOutcome outcome, KeyValuePair<string, object?> causeTag)
    {
        var incidents = extras.Incidents;
        InterlockedMax.Raise(ref incidents.MaxLatenessTicks, outcome.Lateness.Ticks);
        if (outcome.Skipped > 0)
        {
            Interlocked.Add(ref incidents.Skipped, outcome.Skipped);
            Metrics.Skipped.Add(outcome.Skipped, settings.NameTag);
            Log.HeartbeatSkipped(Logger, settings.Name, outcome.Skipped);
        }

        if (!outcome.IsDelayed)
        {
            return;
        }

        Interlocked.Increment(ref incidents.Delayed);
        Volatile.Write(ref incidents.LastCause, (int)outcome.Cause);
        Metrics.Delayed.Add(1, settings.NameTag, causeTag);
        var margin = settings.Margin ?? TimeSpan.Zero;
        if (outcome.BudgetExceeded)
        {
            Log.HeartbeatBudgetExceeded(Logger, settings.Name, outcome.Lateness, margin, settings.PeerText, outcome.Cause, outcome.Evidence);
        }
        else if (outcome.BudgetWarning)
        {
            Log.HeartbeatBudgetWarning(Logger, settings.Name, outcome.Lateness, margin, settings.PeerText, outcome.Cause, outcome.Evidence);
        }
        else
        {
            Log.HeartbeatLate(Logger, settings.Name, outcome.Lateness, settings.DriftWarningThreshold, outcome.Cause, outcome.Evidence, outcome.Skipped);
        }

        if (extras.Delayed is { } handler)
        {
            Raise(handler, sender, new HeartbeatDelayedEventArgs(settings.Name, outcome.ToReport(), outcome.Evidence), settings, "Delayed");
        }
    }

    // An event handler's exception is logged and ignored: it must not stop the engine's thread, nor the event's other
    // handlers (a logging handler's bug must not keep the one that closes a dead connection from running).
    private void Raise<T>(EventHandler<T> handler, object? sender, T args, BeatSettings settings, string eventName)
    {
        foreach (var one in Delegate.EnumerateInvocationList(handler)) // a single handler is its own list: no allocation either way
        {
            RaiseOne(one, sender, args, settings, eventName);
        }
    }

    private void RaiseOne<T>(EventHandler<T> handler, object? sender, T args, BeatSettings settings, string eventName)
    {
        try
        {
            handler(sender, args);
        }
        catch (Exception exception)
        {
            Log.HeartbeatHandlerFailed(Logger, exception, settings.Name, eventName);
        }
    }
}

/// <summary>
/// The report of one heartbeat the engine hands to <see cref="HeartbeatTelemetry"/>: its lateness (send start, or hand-over
/// to the transport, minus due time), heartbeats folded into it, whether it is delayed or used half or all of the lateness
/// budget, the cause with its evidence, and whether its failure ends the registration (the connection is gone: event 2008
/// reports it with the exception, instead of 2005's "tries again").
/// </summary>
internal readonly record struct BeatOutcome(
    TimeSpan Lateness, TimeSpan SendDuration, long Skipped, Exception? Failure, bool IsDelayed, bool BudgetWarning, bool BudgetExceeded,
    HeartbeatDelayCause Cause = HeartbeatDelayCause.None, string Evidence = "", bool EndsRegistration = false)
{
    public HeartbeatLatenessReport ToReport() => new(Lateness, SendDuration, Cause, IsDelayed, BudgetExceeded, Skipped);
}

/// <summary>Where a stream's <see cref="SlotExtras"/> live: in the slot table for a registration, or owned by a <see cref="DriftMonitor"/>.</summary>
internal readonly struct ExtrasAccess
{
    private readonly SlotTable? _table;
    private readonly int _slot;
    private readonly SlotExtras? _owned;

    public ExtrasAccess(SlotTable table, int slot) => (_table, _slot) = (table, slot);

    public ExtrasAccess(SlotExtras owned) => _owned = owned;

    public SlotExtras? Get() => _owned ?? _table!.ExtrasOf(_slot);

    public SlotExtras GetOrAdd() => _owned ?? _table!.GetOrAddExtras(_slot);
}

using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Everything a heartbeat reports, kept out of the engine: per-stream counters, metrics, logs and the <c>Delayed</c> and
/// <c>PeerDead</c> events. The engine hands it one <see cref="BeatOutcome"/> per heartbeat (and a dead peer, a blocked send)
/// after deciding everything itself; telemetry writes only its own state (<see cref="BeatCounters"/>, <see cref="IncidentCounters"/>).
/// An on-time heartbeat costs a few counter updates and two histogram records, and allocates nothing. Shared by
/// <see cref="HeartbeatScheduler"/> and <see cref="DriftMonitor"/>, so both account the same way.
/// </summary>
internal sealed class HeartbeatTelemetry : IDisposable
{
    public HeartbeatTelemetry(ILogger logger, HeartbeatMetrics metrics)
    {
        Logger = logger;
        Metrics = metrics;
    }

    public HeartbeatMetrics Metrics { get; }

    public ILogger Logger { get; }

    public static int ToMicros(TimeSpan value) =>
        value <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, value.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>Decides whether a heartbeat is delayed and against which budget (the cause is added by the caller).</summary>
    public static BeatOutcome Classify(BeatSettings settings, TimeSpan lateness, TimeSpan sendDuration, long skipped, Exception? failure)
    {
        var budgetExceeded = settings.Margin is { } margin && lateness >= margin;
        var budgetWarning = settings.Margin is { } half && lateness >= half / 2;
        var delayed = lateness >= settings.DriftWarningThreshold || budgetWarning || budgetExceeded;
        return new BeatOutcome(lateness, sendDuration, skipped, failure, delayed, budgetWarning, budgetExceeded);
    }

    /// <summary>Accounts for one heartbeat: its stream's counters, incidents, metrics, logs and the Delayed event.</summary>
    public void Record(ref BeatCounters counters, BeatSettings settings, ExtrasAccess extras, in BeatOutcome outcome, object? sender)
    {
        var latenessMicros = ToMicros(outcome.Lateness);
        Volatile.Write(ref counters.LastLatenessMicros, latenessMicros);
        Volatile.Write(ref counters.LastSendMicros, ToMicros(outcome.SendDuration));
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

            extras.Get()?.Incidents.ResetFailures();
        }
        else
        {
            var consecutive = extras.GetOrAdd().Incidents.AddFailure();
            metrics.Failed.Add(1, settings.NameTag);
            Log.HeartbeatSendFailed(Logger, outcome.Failure, settings.Name, consecutive);
        }

        if (outcome.Skipped > 0 || outcome.IsDelayed || latenessMicros == int.MaxValue)
        {
            RecordIncident(settings, extras.GetOrAdd(), sender, outcome, causeTag);
        }
    }

    public void Blocked(BeatSettings settings, ExtrasAccess extras, TimeSpan running, string kind)
    {
        extras.GetOrAdd().Incidents.AddBlocked();
        Metrics.Blocked.Add(1, settings.NameTag);
        Log.HeartbeatSendBlocked(Logger, settings.Name, running.TotalMilliseconds, settings.BlockedThreshold.TotalMilliseconds, kind);
    }

    /// <summary>Reports a peer the engine declared dead (once) and raises the event.</summary>
    public void PeerDead(BeatSettings settings, ExtrasAccess extras, HeartbeatRegistration registration, TimeSpan silentFor, TimeSpan timeout, string reason)
    {
        Metrics.PeerDead.Add(1, settings.NameTag);
        Log.PeerDead(Logger, settings.Name, reason);
        if (extras.Get()?.PeerDead is { } handler)
        {
            try
            {
                handler(registration, new PeerDeadEventArgs(registration, silentFor, timeout, reason));
            }
            catch (Exception exception)
            {
                Log.HeartbeatHandlerFailed(Logger, exception, settings.Name, nameof(HeartbeatRegistration.PeerDead));
            }
        }
    }

    /// <summary>Builds a statistics snapshot from a stream's counters and incidents.</summary>
    public static HeartbeatStatistics Snapshot(ref BeatCounters counters, SlotExtras? extras, bool peerDead)
    {
        var incidents = extras?.Incidents;
        var max = Micros(Volatile.Read(ref counters.MaxLatenessMicros));
        return new HeartbeatStatistics
        {
            Sent = Interlocked.Read(ref counters.Sent),
            Failed = incidents?.Failed ?? 0,
            Skipped = incidents?.Skipped ?? 0,
            Delayed = incidents?.Delayed ?? 0,
            Blocked = incidents?.Blocked ?? 0,
            MaxLateness = incidents is not null && incidents.MaxLateness > max ? incidents.MaxLateness : max,
            LastLateness = Micros(Volatile.Read(ref counters.LastLatenessMicros)),
            LastSendDuration = Micros(Volatile.Read(ref counters.LastSendMicros)),
            LastDelayCause = incidents?.LastCause ?? HeartbeatDelayCause.None,
            PeerDead = peerDead,
        };
    }

    public void Dispose() => Metrics.Dispose();

    private static TimeSpan Micros(int value) => TimeSpan.FromTicks(value * TimeSpan.TicksPerMicrosecond);

    private void RecordIncident(BeatSettings settings, SlotExtras extras, object? sender, in BeatOutcome outcome, KeyValuePair<string, object?> causeTag)
    {
        var incidents = extras.Incidents;
        incidents.RaiseMaxLateness(outcome.Lateness);
        if (outcome.Skipped > 0)
        {
            incidents.AddSkipped(outcome.Skipped);
            Metrics.Skipped.Add(outcome.Skipped, settings.NameTag);
            Log.HeartbeatSkipped(Logger, settings.Name, outcome.Skipped);
        }

        if (!outcome.IsDelayed)
        {
            return;
        }

        incidents.AddDelayed(outcome.Cause);
        Metrics.Delayed.Add(1, settings.NameTag, causeTag);
        var lateMs = outcome.Lateness.TotalMilliseconds;
        var marginMs = settings.Margin?.TotalMilliseconds ?? 0;
        if (outcome.BudgetExceeded)
        {
            Log.HeartbeatBudgetExceeded(Logger, settings.Name, lateMs, marginMs, settings.PeerText, outcome.Cause, outcome.Evidence);
        }
        else if (outcome.BudgetWarning)
        {
            Log.HeartbeatBudgetWarning(Logger, settings.Name, lateMs, marginMs, settings.PeerText, outcome.Cause, outcome.Evidence);
        }
        else
        {
            Log.HeartbeatLate(Logger, settings.Name, lateMs, settings.DriftWarningThreshold.TotalMilliseconds, outcome.Cause, outcome.Evidence, outcome.Skipped);
        }

        if (extras.Delayed is { } handler)
        {
            try
            {
                handler(sender, new HeartbeatDelayedEventArgs(settings.Name, outcome.ToReport(), outcome.Evidence));
            }
            catch (Exception exception)
            {
                Log.HeartbeatHandlerFailed(Logger, exception, settings.Name, "Delayed");
            }
        }
    }
}

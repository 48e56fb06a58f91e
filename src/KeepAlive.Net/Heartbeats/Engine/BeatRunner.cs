namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Runs one <see cref="WorkItem"/> on the calling (dispatcher) thread: starts a heartbeat's callback, completes
/// it (telemetry, then the next due time handed back to the timer thread), declares a silent peer dead, or
/// reports a blocked send. Also what a callback's <see cref="HeartbeatContext.ReportSendStarted"/> reaches.
/// </summary>
internal sealed class BeatRunner
{
    private readonly SlotTable _slots;
    private readonly Inbox _inbox;
    private readonly HeartbeatTelemetry _telemetry;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationToken _stopping;

    public BeatRunner(SlotTable slots, Inbox inbox, HeartbeatTelemetry telemetry, TimeProvider timeProvider, CancellationToken stopping)
    {
        _slots = slots;
        _inbox = inbox;
        _telemetry = telemetry;
        _timeProvider = timeProvider;
        _stopping = stopping;
    }

    /// <summary>Runs an item; the next keys of heartbeats completed here are added to <paramref name="posts"/> when given.</summary>
    /// <param name="item">The work.</param>
    /// <param name="posts">Where to collect next keys; <see langword="null"/> to post each to the inbox.</param>
    /// <param name="start">When the caller started it, or 0 to read the clock.</param>
    /// <returns>When a heartbeat that completed synchronously ended (the caller's next start), otherwise 0.</returns>
    public long Run(in WorkItem item, List<(int Slot, long Key)>? posts = null, long start = 0)
    {
        switch (item.Kind)
        {
            case WorkKind.Beat:
                return Start(item, posts, start == 0 ? _timeProvider.GetTimestamp() : start);
            case WorkKind.PeerDead:
                ref var slot = ref _slots[item.Slot];
                if (SlotState.IsLive(Volatile.Read(ref slot.State)))
                {
                    var settings = _slots.SettingsOf(slot);
                    var silent = _timeProvider.GetElapsedTime(Volatile.Read(ref slot.LastPeerActivity), _timeProvider.GetTimestamp());
                    var reason = FormattableString.Invariant(
                        $"nothing heard from the peer for {KeepAliveFormat.Duration(silent)}, over the timeout of {KeepAliveFormat.Duration(settings.Timeout!.Value)} (no MarkPeerActivity)");
                    _telemetry.PeerDead(ref slot, settings, Extras(item.Slot), silent, settings.Timeout.Value, reason);
                }

                break;
            case WorkKind.Blocked:
                ref var blocked = ref _slots[item.Slot];
                if (SlotState.Phase(Volatile.Read(ref blocked.State)) == SlotState.Running)
                {
                    var running = _timeProvider.GetElapsedTime(item.Popped, _timeProvider.GetTimestamp());
                    var kind = Extras(item.Slot).Get()?.InFlight is { } inFlight && inFlight.Timeline.Start == item.Popped
                        ? "asynchronous send not completed"
                        : "synchronous callback holding a dispatcher thread";
                    _telemetry.Blocked(_slots.SettingsOf(blocked), Extras(item.Slot), running, kind);
                }

                break;
        }

        return 0;
    }

    /// <summary>Marks the moment the heartbeat in flight is handed to the transport; its lateness is measured there.</summary>
    public void ReportSendStarted(int slotIndex)
    {
        ref var slot = ref _slots[slotIndex];
        if (SlotState.Phase(Volatile.Read(ref slot.State)) != SlotState.Running)
        {
            return;
        }

        var now = _timeProvider.GetTimestamp();
        var due = slot.Nominal + _slots.SettingsOf(slot).JitterOf(slot.JitterFraction);
        Volatile.Write(ref slot.LastLatencyMicros, HeartbeatTelemetry.ToMicros(_timeProvider.GetElapsedTime(due, now)));
        SlotState.Update(ref slot.State, SlotState.SendMarked | (Thread.CurrentThread.IsThreadPoolThread ? SlotState.MarkedOnPool : 0), 0);
    }

    public CancellationToken TokenOf(int slot) => Extras(slot).GetOrAdd().GetToken(_stopping);

    /// <summary>Accounts for a finished send and schedules the next heartbeat (any thread); returns when it ended.</summary>
    public long Complete(int slotIndex, in BeatTimeline timeline, Exception? failure, List<(int Slot, long Key)>? posts = null)
    {
        ref var slot = ref _slots[slotIndex];
        var end = _timeProvider.GetTimestamp();
        var settings = _slots.SettingsOf(slot);
        var state = Volatile.Read(ref slot.State);
        var sendStart = timeline.Start;
        var lateness = _timeProvider.GetElapsedTime(timeline.Due, timeline.Start);
        if ((state & SlotState.SendMarked) != 0)
        {
            lateness = TimeSpan.FromTicks(Volatile.Read(ref slot.LastLatencyMicros) * TimeSpan.TicksPerMicrosecond);
            sendStart = timeline.Due + TimestampTicks.From(lateness, _timeProvider);
        }

        lateness = lateness < TimeSpan.Zero ? TimeSpan.Zero : lateness;
        var sendDuration = _timeProvider.GetElapsedTime(sendStart, end);
        var extras = Extras(slotIndex);
        var disposed = SlotState.Phase(state) == SlotState.Disposed;

        var outcome = HeartbeatTelemetry.Classify(settings, lateness, sendDuration, failure);
        if (outcome.IsDelayed)
        {
            var evidence = CauseAnalyzer.Analyze(timeline, state, lateness, sendDuration >= settings.BlockedThreshold, _timeProvider);
            outcome = outcome with { Cause = evidence.Cause, Evidence = evidence.Text };
        }

        _telemetry.Record(ref slot, settings, extras, outcome, slot.Handle);
        if (failure is not null && SendFailure.IsPermanent(failure) && !disposed)
        {
            Stop(slotIndex, ref slot, settings, extras, failure);
        }
        else
        {
            Reschedule(slotIndex, ref slot, settings, outcome.Skipped, timeline.Start, end, posts);
        }

        return end;
    }

    private ExtrasAccess Extras(int slot) => new(_slots, slot);

    private long Start(in WorkItem item, List<(int Slot, long Key)>? posts, long start)
    {
        ref var slot = ref _slots[item.Slot];
        // The timer loop claimed the slot (Running) when it took the heartbeat; a Dispose since then left it Disposed,
        // and freeing it falls to whoever holds the claim.
        var phase = SlotState.Phase(Volatile.Read(ref slot.State));
        if (phase != SlotState.Running)
        {
            if (phase == SlotState.Disposed)
            {
                _inbox.Free(item.Slot);
            }

            return 0;
        }

        var settings = _slots.SettingsOf(slot);
        var due = slot.Nominal + settings.JitterOf(slot.JitterFraction);
        var timeline = new BeatTimeline(due, item.Popped, item.TimerCause, item.GcAtPop, start);
        var sequence = slot.Sent + (Extras(item.Slot).Get()?.Incidents.Failed ?? 0) + 1;
        ValueTask pending;
        try
        {
            pending = slot.Callback!(new HeartbeatContext(slot.Handle!, due, start, sequence, _timeProvider));
        }
        catch (Exception exception)
        {
            return Complete(item.Slot, timeline, exception, posts);
        }

        if (pending.IsCompleted)
        {
            return Complete(item.Slot, timeline, SendFailure.Of(pending), posts);
        }

        // Asynchronous: the timer thread watches it (blocked threshold, liveness) until it completes, wherever that is.
        var extras = Extras(item.Slot).GetOrAdd();
        var inFlight = extras.InFlight ??= new InFlightSend(this, item.Slot);
        var watch = start + settings.BlockedTicks;
        Volatile.Write(ref slot.TimerKey, watch);
        _inbox.Schedule(item.Slot, watch);
        inFlight.Begin(timeline, pending);
        return 0;
    }

    private void Reschedule(int slotIndex, ref Slot slot, BeatSettings settings, long skipped, long start, long end, List<(int Slot, long Key)>? posts)
    {
        // Never a burst: after a stall the schedule is re-based on this send; the slots it covered were counted as skipped.
        var nominal = settings.Mode == HeartbeatMode.FixedRate && skipped == 0 ? slot.Nominal + settings.IntervalTicks : start + settings.IntervalTicks;
        var state = Volatile.Read(ref slot.State);
        var overran = end >= nominal || (state & SlotState.BlockedReported) != 0;
        if (overran != ((state & SlotState.PreviousOverran) != 0))
        {
            SlotState.Update(ref slot.State, overran ? SlotState.PreviousOverran : 0, overran ? 0 : SlotState.PreviousOverran);
        }
        slot.Nominal = nominal;
        slot.JitterFraction = settings.JitterTicks == 0 ? 0 : Random.Shared.Next();
        var key = nominal + settings.JitterOf(slot.JitterFraction);
        if (settings.TimeoutTicks > 0 && (state & SlotState.PeerDeadRaised) == 0)
        {
            key = Math.Min(key, Volatile.Read(ref slot.LastPeerActivity) + settings.TimeoutTicks);
        }

        Volatile.Write(ref slot.TimerKey, key);
        if (SlotState.TryMove(ref slot.State, SlotState.Running, SlotState.Scheduled) != SlotState.Running)
        {
            _inbox.Free(slotIndex); // disposed while running
        }
        else if (posts is not null)
        {
            posts.Add((slotIndex, key)); // the timer thread pushes it into its queue itself
        }
        else
        {
            _inbox.Schedule(slotIndex, key);
        }
    }

    private void Stop(int slotIndex, ref Slot slot, BeatSettings settings, ExtrasAccess extras, Exception failure)
    {
        if (SlotState.TryMove(ref slot.State, SlotState.Running, SlotState.Stopped) != SlotState.Running)
        {
            _inbox.Free(slotIndex); // disposed meanwhile
            return;
        }

        var silent = _timeProvider.GetElapsedTime(Volatile.Read(ref slot.LastPeerActivity), _timeProvider.GetTimestamp());
        var reason = FormattableString.Invariant(
            $"the heartbeat send failed for good ({failure.GetType().Name}: {failure.Message}); the registration stopped sending");
        _telemetry.PeerDead(ref slot, settings, extras, silent, settings.Timeout ?? TimeSpan.Zero, reason);
    }
}

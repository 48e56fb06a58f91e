using System.Net.Sockets;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Runs one <see cref="WorkItem"/> on the calling thread, which owns the claimed slot: a heartbeat (its outcome to telemetry,
/// its next key to the caller's list, the one route of <see cref="Slot"/>), a dead peer, a blocked send.
/// </summary>
internal sealed class BeatRunner(SlotTable slots, Inbox inbox, HeartbeatTelemetry telemetry, TimeProvider clock, CancellationToken stopping)
{
    /// <summary>Runs an item (<paramref name="start"/>: when, or 0 to read the clock); next keys go to <paramref name="keys"/>.</summary>
    /// <returns>When a heartbeat that completed synchronously ended (the caller's next start), otherwise 0.</returns>
    public long Run(in WorkItem item, List<(int Slot, long Key)> keys, long start = 0)
    {
        switch (item.Kind)
        {
            case WorkKind.Beat:
                return Start(item, keys, start == 0 ? clock.GetTimestamp() : start);
            case WorkKind.PeerDead when SlotState.IsLive(Volatile.Read(ref slots[item.Slot].State)):
                RaisePeerDead(item.Slot, null);
                break;
            case WorkKind.Blocked:
                ReportBlocked(item.Slot, item.Popped);
                break;
        }

        return 0;
    }

    /// <summary>
    /// Marks the moment the heartbeat in flight is handed to the transport; its lateness is measured there. Only the heartbeat
    /// due at <paramref name="heartbeatDue"/> (its context's): a context kept past its heartbeat and used while a later one
    /// runs (the registration's next, or another registration's in the slot since) marks nothing.
    /// </summary>
    public void ReportSendStarted(int index, long heartbeatDue)
    {
        ref var slot = ref slots[index];
        if (SlotState.Phase(Volatile.Read(ref slot.State)) != SlotState.Running)
        {
            return;
        }

        var due = SchedulePolicy.Due(slots.SettingsOf(slot), index, slot.Nominal);
        if (due != heartbeatDue)
        {
            return;
        }

        Volatile.Write(ref slot.SendMark, SendMark.Of(clock.GetElapsedTime(due, clock.GetTimestamp()), Thread.CurrentThread.IsThreadPoolThread));
    }

    /// <summary>The registration's token, or a cancelled one once the slot is no longer <paramref name="owner"/>'s (a context kept past its heartbeat).</summary>
    public CancellationToken TokenOf(int slot, HeartbeatRegistration owner) => slots.GetOrAddExtras(slot, owner)?.GetToken(stopping) ?? new CancellationToken(canceled: true);

    /// <summary>The new owner of the loop watches the callback that holds the thread it took the turn from, like a send in flight.</summary>
    public void WatchStuck(int index, long start, List<(int Slot, long Key)> keys)
    {
        ref var slot = ref slots[index];
        var key = Volatile.Read(ref slot.TimerKey);
        InFlightOf(index).WatchStuckCallback(start);
        var watch = start + slots.SettingsOf(slot).BlockedTicks;
        if (SlotState.Phase(Volatile.Read(ref slot.State)) == SlotState.Running && Interlocked.CompareExchange(ref slot.TimerKey, watch, key) == key)
        {
            keys.Add((index, watch));
        }
    }

    /// <summary>Accounts for a finished send and schedules the next heartbeat (the thread that owns the send); returns when it ended.</summary>
    public long Complete(int index, in BeatTimeline timeline, Exception? failure, List<(int Slot, long Key)> keys)
    {
        ref var slot = ref slots[index];
        var end = clock.GetTimestamp();
        var settings = slots.SettingsOf(slot);
        var state = Volatile.Read(ref slot.State);
        var mark = Volatile.Read(ref slot.SendMark);
        var lateness = SendMark.IsMarked(mark) ? SendMark.Lateness(mark) : clock.GetElapsedTime(timeline.Due, timeline.Start);
        lateness = lateness < TimeSpan.Zero ? TimeSpan.Zero : lateness;
        var sendStart = SendMark.IsMarked(mark) ? timeline.Due + SchedulePolicy.Ticks(lateness, clock) : timeline.Start;
        var sendDuration = clock.GetElapsedTime(sendStart, end);
        var (nominal, skipped) = SchedulePolicy.AfterSend(settings, slot.Nominal, timeline.Start, lateness);

        var outcome = HeartbeatTelemetry.Classify(settings, lateness, sendDuration, skipped, failure);
        if (outcome.IsDelayed)
        {
            var evidence = CauseAnalyzer.Analyze(timeline, (state & SlotState.PreviousOverran) != 0, mark, lateness, sendDuration >= settings.BlockedThreshold, clock);
            outcome = outcome with { Cause = evidence.Cause, Evidence = evidence.Text };
        }

        var extras = Extras(index);
        if (sendDuration >= settings.BlockedThreshold && SlotState.TrySet(ref slot.State, SlotState.BlockedReported))
        {
            // Blocked, and nobody watched it (a helper ran it): report it now that it has ended, so every blocked send counts once.
            telemetry.Blocked(settings, extras, sendDuration, "send blocked while a helping standby ran it");
        }

        // A registration stopped by its own Dispose or the scheduler's has ended already: a closed connection found after that
        // (the application closing its connections once it has stopped the heartbeats) declares no peer dead, and no failure
        // of it is logged as retried at a next heartbeat it does not have.
        var stopped = SlotState.Phase(state) == SlotState.Disposed || stopping.IsCancellationRequested;
        var ends = failure is not null && IsPermanent(failure) && !stopped;
        if (failure is OperationCanceledException && stopped)
        {
            // The send in flight was cancelled because the user stopped the registration or the scheduler: neither sent nor
            // failed (there is no next heartbeat to try again).
            extras.Get()?.InFlight?.Unwatch();
            Reschedule(index, ref slot, settings, nominal, end, keys); // frees the disposed slot
            return end;
        }

        telemetry.Record(ref slot.Counters, settings, extras, outcome with { EndsRegistration = ends || stopped }, slot.Handle);
        if (outcome.IsDelayed)
        {
            // The Delayed handler ran on this thread: the next due time and the overrun are judged after it, so its time
            // is this registration's (cause SendBlocked next time), never "more heartbeats were due at once".
            end = clock.GetTimestamp();
        }

        extras.Get()?.InFlight?.Unwatch();
        if (ends && failure is not null)
        {
            Stop(index, ref slot, failure);
        }
        else
        {
            Reschedule(index, ref slot, settings, nominal, end, keys);
        }

        return end;
    }

    /// <summary>The exception of a completed send (<see cref="ValueTask.IsCompleted"/>, so nothing blocks here), or <see langword="null"/>.</summary>
    public static Exception? FailureOf(ValueTask completed)
    {
        try
        {
            completed.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    // Whether a send failure means the connection is gone for good (reset, aborted, shut down, disposed, a completed pipe).
    private static bool IsPermanent(Exception failure) => failure switch
    {
        ObjectDisposedException or Streams.WritePathClosedException or IOException { InnerException: ObjectDisposedException } => true,
        // TimedOut from a socket's own send: the kernel aborted the connection (TCP_USER_TIMEOUT, keep-alive, retransmissions),
        // as no send timeout applies to an asynchronous send; through a stream it may be the stream's WriteTimeout instead.
        SocketException { SocketErrorCode: SocketError.TimedOut } => true,
        SocketException socket => IsPermanent(socket.SocketErrorCode),
        IOException { InnerException: SocketException socket } => IsPermanent(socket.SocketErrorCode),
        _ => false,
    };

    private static bool IsPermanent(SocketError error) => error is SocketError.ConnectionReset or SocketError.ConnectionAborted
        or SocketError.Shutdown or SocketError.NotConnected or SocketError.NotSocket or SocketError.OperationAborted or SocketError.Disconnecting;

    private ExtrasAccess Extras(int slot) => new(slots, slot);

    private InFlightSend InFlightOf(int slot) => slots.GetOrAddExtras(slot).InFlight ??= new InFlightSend(this, inbox, slot);

    private long Start(in WorkItem item, List<(int Slot, long Key)> keys, long start)
    {
        ref var slot = ref slots[item.Slot];
        // A Dispose since the loop claimed the slot left it Disposed: freeing it falls to the claim's holder, this thread.
        var phase = SlotState.Phase(Volatile.Read(ref slot.State));
        if (phase != SlotState.Running || stopping.IsCancellationRequested)
        {
            if (phase == SlotState.Disposed)
            {
                inbox.Free(item.Slot);
            }

            return 0;
        }

        var settings = slots.SettingsOf(slot);
        var due = SchedulePolicy.Due(settings, item.Slot, slot.Nominal);
        var timeline = new BeatTimeline(due, item.Popped, item.TimerCause, item.GcAtPop, start);
        var context = new HeartbeatContext(slot.Handle!, due, start, slot.Counters.Sent + (slots.ExtrasOf(item.Slot)?.Incidents.Failed ?? 0) + 1, clock);
        if (SlotState.Phase(Volatile.Read(ref slot.State)) == SlotState.Disposed)
        {
            inbox.Free(item.Slot); // disposed while the heartbeat was being prepared: checked again right before the call
            return 0;
        }

        ValueTask pending;
        try
        {
            pending = slot.Callback!(context);
        }
        catch (Exception exception)
        {
            return Complete(item.Slot, timeline, exception, keys);
        }

        if (pending.IsCompleted)
        {
            return Complete(item.Slot, timeline, FailureOf(pending), keys);
        }

        // Asynchronous: the loop watches it (blocked threshold, liveness) until it completes, wherever that is.
        var inFlight = InFlightOf(item.Slot);
        var watch = start + settings.BlockedTicks;
        Volatile.Write(ref slot.TimerKey, watch);
        keys.Add((item.Slot, watch));
        inFlight.Begin(timeline, pending);
        return 0;
    }

    private void Reschedule(int index, ref Slot slot, BeatSettings settings, long nominal, long end, List<(int Slot, long Key)> keys)
    {
        var state = Volatile.Read(ref slot.State);
        var overran = SchedulePolicy.Overran(end, nominal) || (state & SlotState.BlockedReported) != 0;
        if (overran != ((state & SlotState.PreviousOverran) != 0))
        {
            SlotState.Update(ref slot.State, overran ? SlotState.PreviousOverran : 0, overran ? 0 : SlotState.PreviousOverran);
        }

        slot.Nominal = nominal;
        var key = SchedulePolicy.Key(SchedulePolicy.Due(settings, index, nominal), SchedulePolicy.LivenessDeadline(settings, state, Volatile.Read(ref slot.LastPeerActivity)));
        Volatile.Write(ref slot.TimerKey, key);
        if (SlotState.TryMove(ref slot.State, SlotState.Running, SlotState.Scheduled) == SlotState.Running)
        {
            keys.Add((index, key));
        }
        else
        {
            inbox.Free(index); // disposed while running
        }
    }

    private void Stop(int index, ref Slot slot, Exception failure)
    {
        if (SlotState.TryMove(ref slot.State, SlotState.Running, SlotState.Stopped) != SlotState.Running)
        {
            inbox.Free(index); // disposed meanwhile
            return;
        }

        // Read before the handler runs: a handler that disposes the registration lets the loop free the slot, and a
        // registration it makes then (a reconnect) can take it, so the slot's handle afterwards may be that new one.
        var handle = slot.Handle;
        RaisePeerDead(index, failure);
        handle?.Dispose(); // ended: counted out, freed by the loop; a later Dispose by the user does nothing
    }

    // The peer is declared dead once (silent past the timeout, or the send failed for good): the flag also turns liveness off (rule 3).
    private void RaisePeerDead(int index, Exception? failure)
    {
        ref var slot = ref slots[index];
        if (!SlotState.TrySet(ref slot.State, SlotState.PeerDeadRaised) || slot.Handle is not { } handle)
        {
            return;
        }

        var settings = slots.SettingsOf(slot);
        var silent = clock.GetElapsedTime(Volatile.Read(ref slot.LastPeerActivity), clock.GetTimestamp());
        var reason = failure is null
            ? FormattableString.Invariant($"nothing heard from the peer for {KeepAliveDuration.FormatMeasured(silent)}, over the timeout of {KeepAliveDuration.Format(settings.Timeout ?? TimeSpan.Zero)} (no MarkPeerActivity)")
            : FormattableString.Invariant($"the heartbeat send failed for good ({failure.GetType().Name}: {failure.Message}); the registration ended");
        telemetry.PeerDead(settings, Extras(index), handle, silent, settings.Timeout ?? TimeSpan.Zero, reason, failure);
    }

    // The loop raised the blocked flag for this send when it queued the report, so the send's end (Complete) left the count
    // to it: report while the send runs, or once it has ended as long as no next heartbeat was claimed (which clears the flag).
    private void ReportBlocked(int index, long start)
    {
        ref var slot = ref slots[index];
        var state = Volatile.Read(ref slot.State);
        if (SlotState.Phase(state) == SlotState.Scheduled && (state & SlotState.BlockedReported) != 0)
        {
            var ran = HeartbeatTelemetry.LastSendDuration(ref slot.Counters, slots.ExtrasOf(index));
            telemetry.Blocked(slots.SettingsOf(slot), Extras(index), ran, "it ended before this report ran");
            return;
        }

        if (SlotState.Phase(state) != SlotState.Running)
        {
            return;
        }

        var kind = slots.ExtrasOf(index)?.InFlight is { IsStuckCallback: false } inFlight && inFlight.Timeline.Start == start
            ? "asynchronous send not completed"
            : "synchronous callback holding a scheduler thread";
        telemetry.Blocked(slots.SettingsOf(slot), Extras(index), clock.GetElapsedTime(start, clock.GetTimestamp()), kind);
    }
}

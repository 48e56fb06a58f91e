using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>
/// One connection's heartbeat in a <see cref="HeartbeatScheduler"/>: a thin handle to the registration's slot in the
/// scheduler. Dispose it to stop; no heartbeat starts after <see cref="Dispose"/> returns.
/// </summary>
public sealed class HeartbeatRegistration : IDisposable
{
    // While the slot is the registration's: the scheduler. Once the loop frees the slot: the last statistics (Ended), so a
    // handle kept after Dispose still answers, with nothing process-wide holding it.
    private object _owner;

    // The slot; its complement (negative) once disposed.
    private int _slot;

    internal HeartbeatRegistration(HeartbeatScheduler scheduler, int slot)
    {
        _owner = scheduler;
        _slot = slot;
    }

    /// <summary>
    /// Raised once when the peer is declared dead: silent for longer than <see cref="HeartbeatOptions.Timeout"/>, or a send
    /// failed for good (connection reset, socket disposed), which also stops the registration. Runs on a scheduler thread, or on
    /// the thread that completed an asynchronous send (often a thread-pool thread: a socket heartbeat whose send completed
    /// later; a <see cref="HeartbeatStream"/>'s or <see cref="HeartbeatDuplexPipe"/>'s heartbeat written after a message runs it
    /// on the thread that ended the message, once it has let the write path go):
    /// close or reconnect from here; an exception is logged and ignored.
    /// </summary>
    public event EventHandler<PeerDeadEventArgs>? PeerDead
    {
        add => Change(extras => extras.PeerDead += value);
        remove => Change(extras => extras.PeerDead -= value);
    }

    /// <summary>
    /// Raised for every delayed heartbeat, with its lateness and cause. Runs on a scheduler thread (or, like
    /// <see cref="PeerDead"/>, on the thread that completed an asynchronous send or ended a wrapper's message); keep it short.
    /// </summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed
    {
        add => Change(extras => extras.Delayed += value);
        remove => Change(extras => extras.Delayed -= value);
    }

    /// <summary>Gets the name from <see cref="HeartbeatOptions.Name"/>, or an empty string.</summary>
    public string Name
    {
        get
        {
            // The loop may free the slot (keeping the name in Ended first) while this reads it, and another registration take
            // it: the name read counts only if the slot is still this registration's afterwards.
            if (Volatile.Read(ref _owner) is HeartbeatScheduler scheduler && Owns(scheduler))
            {
                var name = scheduler.SettingsOf(Home)?.Name;
                if (name is not null && Owns(scheduler))
                {
                    return name;
                }
            }

            return Volatile.Read(ref _owner) is Ended ended ? ended.Name : string.Empty;
        }
    }

    internal int Slot => Volatile.Read(ref _slot);

    /// <summary>Gets a value indicating whether the registration still runs (not disposed, not ended by PeerDead or its scheduler).</summary>
    internal bool IsLive => Live() is var (scheduler, _) && !scheduler.IsDisposed;

    /// <summary>Gets its scheduler's logger while the registration has one (read it at registration), otherwise a logger that writes nothing.</summary>
    internal Microsoft.Extensions.Logging.ILogger Logger => Volatile.Read(ref _owner) is HeartbeatScheduler scheduler ? scheduler.Logger : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    internal CancellationToken CancellationToken => Live() is var (scheduler, slot) ? scheduler.TokenOf(slot, this) : new CancellationToken(canceled: true);

    // Read once: a Dispose on another thread complements it between two reads (a negative index into the slot table).
    private int Home => Slot is var slot && slot >= 0 ? slot : ~slot;

    /// <summary>Records that data was sent on the connection: in <see cref="HeartbeatMode.WhenIdle"/> the next heartbeat waits a full interval from now. Lock-free.</summary>
    public void MarkActivity() => Stamp(peer: false);

    /// <summary>Records that the peer was heard from: the liveness timer (<see cref="HeartbeatOptions.Timeout"/>) restarts. Lock-free.</summary>
    public void MarkPeerActivity() => Stamp(peer: true);

    /// <summary>Gets a snapshot of this registration's counters and lateness; after <see cref="Dispose"/>, the last one.</summary>
    /// <returns>The snapshot.</returns>
    public HeartbeatStatistics GetStatistics()
    {
        // After Dispose the slot keeps counting a send that was still running, until the loop frees it.
        if (Volatile.Read(ref _owner) is HeartbeatScheduler scheduler && Owns(scheduler))
        {
            var statistics = Snapshot(scheduler);
            if (Owns(scheduler))
            {
                return statistics;
            }
        }

        return Volatile.Read(ref _owner) is Ended ended ? ended.Statistics : new HeartbeatStatistics();
    }

    /// <summary>Stops the heartbeat. A send already running finishes (its cancellation token is cancelled); no new one starts.</summary>
    public void Dispose()
    {
        var slot = Slot;
        if (slot < 0 || Volatile.Read(ref _owner) is not HeartbeatScheduler scheduler || Interlocked.CompareExchange(ref _slot, ~slot, slot) != slot)
        {
            return;
        }

        scheduler.Unregister(slot, scheduler.SettingsOf(slot).Name);
    }

    /// <summary>Keeps the last statistics when the loop frees the slot (called by the owner of the loop, before it does).</summary>
    internal void OnFreed()
    {
        if (Volatile.Read(ref _owner) is HeartbeatScheduler scheduler)
        {
            Volatile.Write(ref _owner, new Ended(scheduler.SettingsOf(Home).Name, Snapshot(scheduler)));
        }
    }

    /// <summary>Marks the moment this registration's heartbeat in flight, due at <paramref name="due"/>, is handed to the transport.</summary>
    internal void ReportSendStarted(long due)
    {
        if (Live() is var (scheduler, slot))
        {
            scheduler.ReportSendStarted(slot, due);
        }
    }

    private bool Owns(HeartbeatScheduler scheduler) => ReferenceEquals(scheduler.SlotOf(Home).Handle, this);

    private HeartbeatStatistics Snapshot(HeartbeatScheduler scheduler)
    {
        ref var entry = ref scheduler.SlotOf(Home);
        return HeartbeatTelemetry.Snapshot(ref entry.Counters, scheduler.FindExtras(Home), (Volatile.Read(ref entry.State) & SlotState.PeerDeadRaised) != 0);
    }

    private (HeartbeatScheduler Scheduler, int Slot)? Live()
    {
        var slot = Slot;
        return slot >= 0 && Volatile.Read(ref _owner) is HeartbeatScheduler scheduler && ReferenceEquals(scheduler.SlotOf(slot).Handle, this) ? (scheduler, slot) : null;
    }

    // The extras are checked to be this registration's under the slot table's lock, which freeing a slot takes: a handle
    // disposed on another thread after Live() must not add a handler to the extras of a free slot (the registration that takes
    // it next would find them without its flag, and never raise its own handlers) or of another registration that took it
    // (which would raise this connection's handlers). Extras freed after the check are no longer any slot's: changing them is harmless.
    private void Change(Action<SlotExtras> change)
    {
        if (Live() is var (scheduler, slot) && scheduler.ExtrasOf(slot, this) is { } extras)
        {
            lock (extras)
            {
                change(extras);
            }
        }
    }

    // Writes now as the slot's last activity, lock-free, only while the slot is this registration's. Dispose on another thread
    // lets the loop free the slot and a new registration take it between any check and a plain write, which then restarted
    // the new registration's liveness timer or postponed its heartbeat. So the time is read first, then the slot's value, then
    // the owner; the compare-and-swap fails if the slot changed hands since: freeing zeroes the value, and a new registration
    // writes its own time, read after this one. A stamp only moves forward (a later one already there wins).
    private void Stamp(bool peer)
    {
        var slot = Slot;
        if (slot < 0 || Volatile.Read(ref _owner) is not HeartbeatScheduler scheduler)
        {
            return;
        }

        var now = scheduler.TimeProvider.GetTimestamp();
        ref var entry = ref scheduler.SlotOf(slot);
        ref var stamp = ref peer ? ref entry.LastPeerActivity : ref entry.LastActivity;
        while (true)
        {
            var seen = Volatile.Read(ref stamp);
            if (seen >= now || !ReferenceEquals(Volatile.Read(ref entry.Handle), this) || Interlocked.CompareExchange(ref stamp, now, seen) == seen)
            {
                return;
            }
        }
    }

    private sealed record Ended(string Name, HeartbeatStatistics Statistics);
}

using System.Runtime.CompilerServices;
using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net;

/// <summary>
/// One connection's heartbeat in a <see cref="HeartbeatScheduler"/>: a thin handle to the registration's slot in the
/// scheduler. Dispose it to stop; no heartbeat starts after <see cref="Dispose"/> returns.
/// </summary>
public sealed class HeartbeatRegistration : IDisposable
{
    private static readonly ConditionalWeakTable<HeartbeatRegistration, Ended> EndedRegistrations = [];
    private readonly HeartbeatScheduler _scheduler;
    private readonly int _home;
    private int _slot;

    internal HeartbeatRegistration(HeartbeatScheduler scheduler, int slot)
    {
        _scheduler = scheduler;
        _home = slot;
        _slot = slot;
    }

    /// <summary>
    /// Raised once when the peer is declared dead: silent for longer than <see cref="HeartbeatOptions.Timeout"/>, or a send
    /// failed for good (connection reset, socket disposed), which also stops the registration. Runs on a scheduler thread:
    /// close or reconnect from here; an exception is logged and ignored.
    /// </summary>
    public event EventHandler<PeerDeadEventArgs>? PeerDead
    {
        add => Change(extras => extras.PeerDead += value);
        remove => Change(extras => extras.PeerDead -= value);
    }

    /// <summary>Raised for every delayed heartbeat, with its lateness and cause. Runs on a scheduler thread; keep it short.</summary>
    public event EventHandler<HeartbeatDelayedEventArgs>? Delayed
    {
        add => Change(extras => extras.Delayed += value);
        remove => Change(extras => extras.Delayed -= value);
    }

    /// <summary>Gets the name from <see cref="HeartbeatOptions.Name"/>, or an empty string.</summary>
    public string Name => ReferenceEquals(_scheduler.SlotOf(_home).Handle, this) ? _scheduler.SettingsOf(_home).Name
        : EndedRegistrations.TryGetValue(this, out var ended) ? ended.Name : string.Empty;

    internal int Slot => Volatile.Read(ref _slot);

    internal CancellationToken CancellationToken => Slot is var slot and >= 0 ? _scheduler.TokenOf(slot) : new CancellationToken(canceled: true);

    /// <summary>Records that data was sent on the connection: in <see cref="HeartbeatMode.WhenIdle"/> the next heartbeat waits a full interval from now. Lock-free.</summary>
    public void MarkActivity()
    {
        if (Live() is { } slot)
        {
            Volatile.Write(ref _scheduler.SlotOf(slot).LastActivity, _scheduler.TimeProvider.GetTimestamp());
        }
    }

    /// <summary>Records that the peer was heard from: the liveness timer (<see cref="HeartbeatOptions.Timeout"/>) restarts. Lock-free.</summary>
    public void MarkPeerActivity()
    {
        if (Live() is { } slot)
        {
            Volatile.Write(ref _scheduler.SlotOf(slot).LastPeerActivity, _scheduler.TimeProvider.GetTimestamp());
        }
    }

    /// <summary>Gets a snapshot of this registration's counters and lateness; after <see cref="Dispose"/>, the last one.</summary>
    /// <returns>The snapshot.</returns>
    public HeartbeatStatistics GetStatistics()
    {
        // After Dispose the slot keeps counting a send that was still running, until the timer thread frees it.
        if (ReferenceEquals(_scheduler.SlotOf(_home).Handle, this))
        {
            var statistics = Snapshot();
            if (ReferenceEquals(_scheduler.SlotOf(_home).Handle, this))
            {
                return statistics;
            }
        }

        return EndedRegistrations.TryGetValue(this, out var ended) ? ended.Statistics : new HeartbeatStatistics();
    }

    /// <summary>Stops the heartbeat. A send already running finishes (its cancellation token is cancelled); no new one starts.</summary>
    public void Dispose()
    {
        var slot = Slot;
        if (slot < 0 || Interlocked.CompareExchange(ref _slot, -1, slot) != slot)
        {
            return;
        }

        var name = _scheduler.SettingsOf(slot).Name;
        _scheduler.Unregister(slot, name);
    }

    /// <summary>Keeps the last statistics when the timer thread frees the slot (called before it does).</summary>
    internal void OnFreed() => EndedRegistrations.AddOrUpdate(this, new Ended(_scheduler.SettingsOf(_home).Name, Snapshot()));

    private HeartbeatStatistics Snapshot()
    {
        ref var entry = ref _scheduler.SlotOf(_home);
        return HeartbeatTelemetry.Snapshot(ref entry, _scheduler.FindExtras(_home), (Volatile.Read(ref entry.State) & SlotState.PeerDeadRaised) != 0);
    }

    /// <summary>Marks the moment this registration's heartbeat in flight is handed to the transport.</summary>
    internal void ReportSendStarted()
    {
        if (Live() is { } slot)
        {
            _scheduler.ReportSendStarted(slot);
        }
    }

    private int? Live()
    {
        var slot = Slot;
        return slot >= 0 && ReferenceEquals(_scheduler.SlotOf(slot).Handle, this) ? slot : null;
    }

    private void Change(Action<SlotExtras> change)
    {
        if (Live() is { } slot)
        {
            var extras = _scheduler.ExtrasOf(slot);
            lock (extras)
            {
                change(extras);
            }
        }
    }

    private sealed record Ended(string Name, HeartbeatStatistics Statistics);
}

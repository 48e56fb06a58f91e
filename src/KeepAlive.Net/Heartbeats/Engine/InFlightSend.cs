namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// A send the timer loop watches (blocked threshold) while no scheduler thread runs it: an asynchronous send until it
/// completes, or a callback holding the thread a standby took the turn from. One per registration, reused.
/// </summary>
internal sealed class InFlightSend(BeatRunner runner, Inbox inbox, int slot)
{
    // Taken by the completion that fills and posts it: once its key is posted, the registration's next heartbeat can start,
    // and complete on another thread, before this completion has finished posting (Inbox.Post enumerates, then clears).
    private List<(int Slot, long Key)>? _keys = [];
    private Action? _completed; // made on the first asynchronous send, then reused
    private ValueTask _pending;

    public BeatTimeline Timeline { get; private set; }

    /// <summary>Gets a value indicating whether the loop watches this send now, and whether it is a synchronous callback that holds a thread.</summary>
    public bool Watched { get; private set; }

    public bool IsStuckCallback { get; private set; }

    /// <summary>Holds an asynchronous send until it completes, then completes the heartbeat there and posts its next key.</summary>
    public void Begin(in BeatTimeline timeline, ValueTask pending)
    {
        Timeline = timeline;
        IsStuckCallback = false;
        Watched = true;
        _pending = pending;
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_completed ??= OnCompleted);
    }

    /// <summary>Watches a synchronous callback that started at <paramref name="start"/>; its own thread completes it.</summary>
    public void WatchStuckCallback(long start)
    {
        Timeline = new BeatTimeline(0, 0, HeartbeatDelayCause.None, 0, start);
        IsStuckCallback = true;
        Watched = true;
    }

    public void Unwatch() => Watched = false;

    private void OnCompleted()
    {
        var pending = _pending;
        _pending = default;
        Watched = false;
        var keys = Interlocked.Exchange(ref _keys, null) ?? [];
        runner.Complete(slot, Timeline, BeatRunner.FailureOf(pending), keys);
        inbox.Post(keys);
        _keys = keys;
    }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// An asynchronous send that did not complete when its callback returned: holds its timeline and the pending
/// task until it completes, on whatever thread that is. One per registration, allocated on its first such send
/// and reused, so a socket whose sends sometimes wait for buffer space allocates nothing per heartbeat.
/// </summary>
internal sealed class InFlightSend
{
    private readonly BeatRunner _runner;
    private readonly int _slot;
    private readonly Action _completed;
    private ValueTask _pending;

    public InFlightSend(BeatRunner runner, int slot)
    {
        _runner = runner;
        _slot = slot;
        _completed = OnCompleted;
    }

    public BeatTimeline Timeline { get; private set; }

    public void Begin(in BeatTimeline timeline, ValueTask pending)
    {
        Timeline = timeline;
        _pending = pending;
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_completed);
    }

    private void OnCompleted()
    {
        var pending = _pending;
        _pending = default;
        _runner.Complete(_slot, Timeline, SendFailure.Of(pending));
    }
}

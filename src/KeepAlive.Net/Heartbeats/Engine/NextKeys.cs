namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The one route from a finished send to the timer queue: <see cref="BeatRunner"/> adds every next key here (a rescheduled
/// heartbeat, the watch key of a send in flight) and never touches the queue or the inbox itself. The thread that ran the
/// work then delivers the keys in one go: the owner of the timer loop pushes them into its queue
/// (<see cref="TimerLoop.Push"/>, no lock), any other thread posts them to the <see cref="Inbox"/> (one lock for all).
/// Owned by one thread; reused, so delivering allocates nothing.
/// </summary>
internal sealed class NextKeys
{
    private readonly List<(int Slot, long Key)> _keys = [];

    public int Count => _keys.Count;

    public void Add(int slot, long key) => _keys.Add((slot, key));

    public List<(int Slot, long Key)>.Enumerator GetEnumerator() => _keys.GetEnumerator();

    public void Clear() => _keys.Clear();
}

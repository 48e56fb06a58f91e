namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// How other threads hand the owner of the timer loop a key to push or a slot to free: one short lock to post; the owner
/// swaps the list out at each wake-up and is woken only for a key earlier than its planned wake-up (or many posts).
/// </summary>
internal sealed class Inbox(TimerWait wait)
{
    private const int PostsBeforeWake = 4096;
    private readonly Lock _lock = new();
    private List<Entry> _posted = [];
    private long _plannedWake = long.MaxValue;

    /// <summary>What a posted entry asks: push the slot's key, or free the slot (nobody holds a claim on it any more).</summary>
    public enum Kind : byte
    {
        Key,
        Free,
    }

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _posted.Count == 0;
            }
        }
    }

    /// <summary>Publishes when the owner of the loop will wake next, before it checks the inbox one last time and sleeps.</summary>
    public void PlanWake(long timestamp) => Interlocked.Exchange(ref _plannedWake, timestamp);

    public void Registered(int slot, long key) => Post(new Entry(slot, key, Kind.Key));

    /// <summary>Asks the owner of the loop to free a slot; a wake-up only once many posts wait.</summary>
    public void Free(int slot) => Post(new Entry(slot, long.MaxValue, Kind.Free));

    /// <summary>Posts next keys (a thread's one or two), then clears <paramref name="keys"/>.</summary>
    public void Post(List<(int Slot, long Key)> keys)
    {
        foreach (var (slot, key) in keys)
        {
            Post(new Entry(slot, key, Kind.Key));
        }

        keys.Clear();
    }

    /// <summary>Takes everything posted (the owner of the loop only); <paramref name="spare"/> becomes the next list to fill.</summary>
    public List<Entry> Take(List<Entry> spare)
    {
        spare.Clear();
        List<Entry> taken;
        lock (_lock)
        {
            taken = _posted;
            _posted = spare;
        }

        BurstRoom.Trim(taken, taken.Count); // what it holds is the use it had: give back a burst's room as soon as it is taken
        return taken;
    }

    // Wakes the owner for a key earlier than its planned wake-up, and every PostsBeforeWake posts of a burst.
    private void Post(in Entry entry)
    {
        bool full;
        lock (_lock)
        {
            _posted.Add(entry);
            full = _posted.Count % PostsBeforeWake == 0;
        }

        if (full)
        {
            wait.Wake();
        }
        else if (entry.Key < Interlocked.Read(ref _plannedWake)) // never for a Free: its key is long.MaxValue
        {
            Interlocked.Exchange(ref _plannedWake, entry.Key);
            wait.Wake();
        }
    }

    /// <summary>One posted entry; the key is ignored for <see cref="Kind.Free"/>.</summary>
    public readonly record struct Entry(int Slot, long Key, Kind Kind);
}

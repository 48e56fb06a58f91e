namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// How other threads hand work to the timer thread, which alone owns the <see cref="TimerQueue"/>: a slot to
/// (re)schedule at a key, or a slot to free. Posting takes one short lock; the timer thread swaps the whole list
/// out at each wake-up, and is woken only when a posted key is earlier than the wake-up it planned.
/// </summary>
internal sealed class Inbox
{
    private const long FreeMarker = long.MinValue;
    private const int PostsBeforeWake = 4096;
    private readonly Lock _lock = new();
    private readonly TimerWait _wait;
    private List<(int Slot, long Key)> _posted = [];
    private long _plannedWake = long.MaxValue;
    private int _frees;

    public Inbox(TimerWait wait) => _wait = wait;

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

    /// <summary>Publishes when the timer thread will wake next, before it checks the inbox one last time and sleeps.</summary>
    public void PlanWake(long timestamp) => Interlocked.Exchange(ref _plannedWake, timestamp);

    public void Schedule(int slot, long key)
    {
        bool full;
        lock (_lock)
        {
            _posted.Add((slot, key));
            full = _posted.Count == PostsBeforeWake;
        }

        if (full)
        {
            _wait.Wake(); // a burst of registrations: let the timer thread take them in chunks, not all at once
        }
        else
        {
            WakeIfEarlier(key);
        }
    }

    /// <summary>Posts several next keys under one lock (a helper's run of a batch), then clears <paramref name="posts"/>.</summary>
    public void ScheduleAll(List<(int Slot, long Key)> posts)
    {
        if (posts.Count == 0)
        {
            return;
        }

        var earliest = long.MaxValue;
        foreach (var (_, key) in posts)
        {
            earliest = Math.Min(earliest, key);
        }

        lock (_lock)
        {
            _posted.AddRange(posts);
        }

        posts.Clear();
        WakeIfEarlier(earliest);
    }

    /// <summary>Asks the timer thread to free a slot; a wake-up only once many frees are waiting.</summary>
    public void Free(int slot)
    {
        bool wake;
        lock (_lock)
        {
            _posted.Add((slot, FreeMarker));
            wake = ++_frees == PostsBeforeWake || _posted.Count == PostsBeforeWake;
        }

        if (wake)
        {
            _wait.Wake();
        }
    }

    /// <summary>Takes everything posted (timer thread only); <paramref name="spare"/> becomes the next list to fill.</summary>
    public List<(int Slot, long Key)> Take(List<(int Slot, long Key)> spare)
    {
        spare.Clear();
        if (spare.Capacity > PostsBeforeWake * 2)
        {
            spare = []; // do not keep a burst's capacity for ever
        }

        lock (_lock)
        {
            var taken = _posted;
            _posted = spare;
            _frees = 0;
            return taken;
        }
    }

    public static bool IsFree(long key) => key == FreeMarker;

    /// <summary>Wakes the timer thread when <paramref name="key"/> is due before the wake-up it planned.</summary>
    private void WakeIfEarlier(long key)
    {
        if (key < Interlocked.Read(ref _plannedWake))
        {
            Interlocked.Exchange(ref _plannedWake, key);
            _wait.Wake();
        }
    }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// One thread's turn as owner of the timer loop, shared with the standby threads through atomics only: the batch it runs and
/// the callback it is in. A standby reads it to see whether the owner is stuck, takes the turn over with one compare-and-swap
/// on <see cref="CurrentStart"/>, and claims the items the owner has not started. Every field says who writes it.
/// </summary>
internal sealed class Turn
{
    /// <summary>The <see cref="CurrentStart"/> of a turn a standby has taken over.</summary>
    public const long Taken = -1;

    /// <summary>How many items the owner claims with one atomic add.</summary>
    public const int OwnerChunk = 16;

    /// <summary>The batch: written by the owner before it publishes <see cref="BatchStart"/>, then only read.</summary>
    public WorkItem[] Items = new WorkItem[64];

    /// <summary>How many items the batch holds; written with <see cref="Items"/>.</summary>
    public int Count;

    /// <summary>The first unclaimed item: the owner claims <see cref="OwnerChunk"/> with one atomic add, a helper one with a compare-and-swap (never moving it without a real claim); a taker moves it past the end.</summary>
    public int Next;

    /// <summary>Helpers between reading <see cref="Count"/> and copying their claimed item; the owner reloads the batch only when none is.</summary>
    public int Readers;

    /// <summary>The end (exclusive) of the owner's claimed chunk; written by the owner before its first item starts.</summary>
    public int ChunkEnd;

    /// <summary>The batch index of the owner's item in progress; written by the owner before <see cref="CurrentStart"/>.</summary>
    public int CurrentIndex;

    /// <summary>When the owner's callback in progress started, 0 between callbacks; <see cref="Taken"/> once a standby took the turn (compare-and-swap).</summary>
    public long CurrentStart;

    /// <summary>When the batch in progress started, 0 between batches; written by the owner (a full fence), read by standbys.</summary>
    public long BatchStart;

    /// <summary>The loop's next due key after this batch, for a standby's alarm while the owner runs it; written by the owner.</summary>
    public long NextDue = long.MaxValue;

    /// <summary>Set by the taker on a new turn: the slot whose callback still holds the old owner's thread (-1: none), and when it started.</summary>
    public int StuckSlot = -1;
    public long StuckStart;

    /// <summary>Makes <paramref name="batch"/> the batch to run and publishes it (owner only); clears <paramref name="batch"/>.</summary>
    public void Load(List<WorkItem> batch, long now)
    {
        // Close the old batch (no helper may claim from it), wait for helpers still copying an item out of it, then reopen.
        Volatile.Write(ref Count, 0);
        var spin = default(SpinWait);
        while (Volatile.Read(ref Readers) != 0)
        {
            spin.SpinOnce();
        }

        if (Items.Length < batch.Count)
        {
            Items = new WorkItem[Math.Max(batch.Count, Items.Length * 2)];
        }
        else if (batch.Count == 0 && BurstRoom.Trimmed(Items.Length, 0) is var room && room < Items.Length)
        {
            Items = new WorkItem[room]; // an empty load gives back a burst's room (the owner does it when it goes quiet)
        }

        batch.CopyTo(Items);
        Volatile.Write(ref Next, 0);
        Volatile.Write(ref Count, batch.Count);
        batch.Clear();
        if (Count == 0)
        {
            BurstRoom.Trim(batch, 0);
        }
        Interlocked.Exchange(ref BatchStart, now); // a full fence: a standby checks it after clearing its alarm
    }

    /// <summary>Whether the last batch left burst room to give back (checked by the owner before it sleeps).</summary>
    public bool HasBurstRoom(List<WorkItem> batch) =>
        BurstRoom.Trimmed(Items.Length, 0) < Items.Length || BurstRoom.Trimmed(batch.Capacity, 0) < batch.Capacity;

    /// <summary>Claims one item for a helper: false once the batch is exhausted, closed or taken over.</summary>
    public bool TryClaimForHelper(out WorkItem item)
    {
        Interlocked.Increment(ref Readers); // a full fence: the owner's Load waits for it
        try
        {
            while (true)
            {
                var count = Volatile.Read(ref Count);
                var next = Volatile.Read(ref Next);
                if (next >= count)
                {
                    item = default;
                    return false;
                }

                if (Interlocked.CompareExchange(ref Next, next + 1, next) == next)
                {
                    item = Items[next];
                    return true;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref Readers);
        }
    }
}

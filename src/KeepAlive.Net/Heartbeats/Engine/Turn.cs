namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// One thread's turn as owner of the timer loop: the batch it is running and the callback it is in. A standby thread
/// reads it to see whether the owner is stuck, takes the turn over with one compare-and-swap on
/// <see cref="CurrentStart"/>, and claims the batch items the owner has not started: items are claimed with an atomic
/// add on <see cref="Next"/> (the owner takes <see cref="OwnerChunk"/> at a time, a helper one), and the taker also
/// gets the rest of the stuck owner's chunk, after <see cref="CurrentIndex"/>; so no item runs twice and none is lost.
/// </summary>
internal sealed class Turn
{
    /// <summary>The <see cref="CurrentStart"/> of a turn a standby has taken over.</summary>
    public const long Taken = -1;

    /// <summary>How many items the owner claims with one atomic add.</summary>
    public const int OwnerChunk = 16;

    public WorkItem[] Items = new WorkItem[64];

    public int Count;

    public int Next;

    /// <summary>When the callback in progress started, 0 between callbacks, <see cref="Taken"/> once taken over.</summary>
    public long CurrentStart;

    public int CurrentSlot = -1;

    /// <summary>The batch index of the owner's item in progress; written before <see cref="CurrentStart"/>.</summary>
    public int CurrentIndex;

    /// <summary>The end (exclusive) of the owner's claimed chunk; written before its first item starts.</summary>
    public int ChunkEnd;

    /// <summary>When the batch in progress started, 0 between batches.</summary>
    public long BatchStart;

    public List<WorkItem> Batch { get; } = [];

    /// <summary>
    /// Next keys of the heartbeats completed in this turn, pushed into the queue by the owner after each item (only the
    /// owner's thread touches it: a stuck owner has nothing in it, and posts its own keys once it returns).
    /// </summary>
    public List<(int Slot, long Key)> Posts { get; } = [];

    /// <summary>Makes <see cref="Batch"/> the batch to run (owner only).</summary>
    public void Load(long now)
    {
        if (Items.Length < Batch.Count)
        {
            Items = new WorkItem[Math.Max(Batch.Count, Items.Length * 2)];
        }

        Batch.CopyTo(Items);
        Count = Batch.Count;
        Batch.Clear();
        Volatile.Write(ref Next, 0);
        Interlocked.Exchange(ref BatchStart, now); // a full fence: the standby checks it after clearing the alarm
    }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The <see cref="TimerQueue"/>'s place for keys that arrive out of order: a 4-ary min-heap of 12-byte entries, so
/// the four children of a node share a cache line or two and a million entries are 10 levels deep. Not thread-safe.
/// </summary>
internal sealed class TimerHeap
{
    private const int Arity = 4;
    private const int InitialCapacity = 64;
    private TimerEntry[] _entries = new TimerEntry[InitialCapacity];

    public int Count { get; private set; }

    public bool TryPeek(out long key, out int slot)
    {
        if (Count == 0)
        {
            key = long.MaxValue;
            slot = -1;
            return false;
        }

        key = _entries[0].Key;
        slot = _entries[0].Slot;
        return true;
    }

    public void Push(long key, int slot)
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        var index = Count++;
        var entries = _entries;
        while (index > 0)
        {
            var parent = (index - 1) / Arity;
            if (entries[parent].Key <= key)
            {
                break;
            }

            entries[index] = entries[parent];
            index = parent;
        }

        entries[index] = new TimerEntry(key, slot);
    }

    public void Pop()
    {
        var last = _entries[--Count];
        _entries[Count] = default;
        if (Count > 0)
        {
            SiftDown(0, last);
        }
    }

    /// <summary>Removes every entry for which <paramref name="isLive"/> is false, gives back unused room and rebuilds the heap in O(n).</summary>
    public void Compact(Func<long, int, bool> isLive)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            if (isLive(_entries[i].Key, _entries[i].Slot))
            {
                _entries[kept++] = _entries[i];
            }
        }

        Array.Clear(_entries, kept, Count - kept);
        Count = kept;
        Array.Resize(ref _entries, TimerEntry.TrimmedCapacity(_entries.Length, Count, InitialCapacity));

        for (var i = (Count - 2) / Arity; i >= 0; i--)
        {
            SiftDown(i, _entries[i]);
        }
    }

    private void SiftDown(int index, TimerEntry entry)
    {
        var entries = _entries;
        var count = Count;
        while (true)
        {
            var first = (index * Arity) + 1;
            if (first >= count)
            {
                break;
            }

            var best = first;
            var end = Math.Min(first + Arity, count);
            for (var child = first + 1; child < end; child++)
            {
                if (entries[child].Key < entries[best].Key)
                {
                    best = child;
                }
            }

            if (entry.Key <= entries[best].Key)
            {
                break;
            }

            entries[index] = entries[best];
            index = best;
        }

        entries[index] = entry;
    }
}

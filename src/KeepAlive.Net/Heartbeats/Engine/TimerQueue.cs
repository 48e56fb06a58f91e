using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer thread's own min-queue of (due time, slot): a 4-ary heap of 12-byte entries, so the four children
/// of a node share a cache line or two and a million entries are 10 levels deep. Removal is lazy: an entry whose
/// key no longer equals its slot's <see cref="Slot.TimerKey"/> is stale and dropped when it surfaces, and
/// <see cref="Compact"/> sweeps them out when they pile up. Not thread-safe: only the timer thread touches it.
/// </summary>
internal sealed class TimerQueue
{
    private const int Arity = 4;
    private Entry[] _entries = new Entry[64];

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

        entries[index] = new Entry(key, slot);
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

    /// <summary>Removes every entry for which <paramref name="isLive"/> is false and rebuilds the heap in O(n).</summary>
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
        for (var i = (Count - 2) / Arity; i >= 0; i--)
        {
            SiftDown(i, _entries[i]);
        }
    }

    private void SiftDown(int index, Entry entry)
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

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Entry(long Key, int Slot);
}

using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// A first-in first-out run of <see cref="TimerQueue"/> entries whose keys never decrease: appended at the tail,
/// taken from the head, both in O(1) and in address order, so a pass over a million of them streams through memory
/// instead of jumping through a heap. A power-of-two ring that grows by doubling. Not thread-safe.
/// </summary>
internal sealed class TimerLane
{
    private const int InitialCapacity = 16;
    private Entry[] _ring = new Entry[InitialCapacity];
    private int _head;

    public int Count { get; private set; }

    /// <summary>Gets the key appended last; an append must not be smaller.</summary>
    public long Last { get; private set; }

    /// <summary>Gets the entry with the smallest key. Only valid while <see cref="Count"/> is positive.</summary>
    public Entry Head => _ring[_head];

    public void Append(long key, int slot)
    {
        if (Count == _ring.Length)
        {
            Resize(_ring.Length * 2);
        }

        _ring[(_head + Count) & (_ring.Length - 1)] = new Entry(key, slot);
        Count++;
        Last = key;
    }

    public void RemoveHead()
    {
        _ring[_head] = default;
        _head = (_head + 1) & (_ring.Length - 1);
        Count--;
    }

    /// <summary>Removes every entry for which <paramref name="isLive"/> is false, keeping the order, and gives back unused room.</summary>
    public void Compact(Func<long, int, bool> isLive)
    {
        var mask = _ring.Length - 1;
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            var entry = _ring[(_head + i) & mask];
            if (isLive(entry.Key, entry.Slot))
            {
                _ring[(_head + kept++) & mask] = entry;
            }
        }

        for (var i = kept; i < Count; i++)
        {
            _ring[(_head + i) & mask] = default;
        }

        Count = kept;
        if (BurstRoom.Trimmed(_ring.Length, Count) is var capacity && capacity < _ring.Length)
        {
            Resize(capacity);
        }
    }

    private void Resize(int capacity)
    {
        var ring = new Entry[capacity];
        var mask = _ring.Length - 1;
        for (var i = 0; i < Count; i++)
        {
            ring[i] = _ring[(_head + i) & mask];
        }

        _ring = ring;
        _head = 0;
    }

    /// <summary>One entry: a due time and the slot it belongs to, 12 bytes.</summary>
    /// <param name="Key">The due time, a TimeProvider timestamp; stale once it differs from the slot's <see cref="Slot.TimerKey"/>.</param>
    /// <param name="Slot">The slot index.</param>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public readonly record struct Entry(long Key, int Slot);
}

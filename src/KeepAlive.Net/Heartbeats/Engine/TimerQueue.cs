using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer thread's own min-queue of (due time, slot). Heartbeats of one interval come due in the order they were
/// scheduled, so most keys arrive in order: such a key is appended to the <see cref="Lane"/> whose last key is the largest not
/// above it. Only a key smaller than every lane's last (an idle postponement, jitter, more intervals than lanes) goes to the
/// heap, the framework's 4-ary <see cref="PriorityQueue{TElement, TPriority}"/>. The head is the smallest of the heap's top
/// and the lanes' heads. Removal is lazy: an entry whose key no longer equals its slot's <see cref="Slot.TimerKey"/> is stale,
/// dropped when it surfaces, and swept out by <see cref="Compact"/> when they pile up. Only the owner of the loop touches it.
/// </summary>
internal sealed class TimerQueue
{
    private const int LaneCount = 8; // one per interval in use covers most services
    private const int FromHeap = -1;
    private const int Unknown = -2;
    private readonly PriorityQueue<int, long> _heap = new();
    private readonly Lane[] _lanes = [.. Enumerable.Range(0, LaneCount).Select(_ => new Lane())];
    private int _peeked = Unknown;

    public int Count { get; private set; }

    /// <summary>Gets how many entries sit in the heap (out of order), for tests and diagnostics.</summary>
    public int HeapCount => _heap.Count;

    public bool TryPeek(out long key, out int slot)
    {
        if (_heap.TryPeek(out slot, out key))
        {
            _peeked = FromHeap;
        }
        else
        {
            (key, slot, _peeked) = (long.MaxValue, -1, Unknown);
        }

        for (var i = 0; i < _lanes.Length; i++)
        {
            var lane = _lanes[i];
            if (lane.Count > 0 && lane.Head.Key < key)
            {
                (key, slot) = lane.Head;
                _peeked = i;
            }
        }

        return _peeked != Unknown;
    }

    public void Push(long key, int slot)
    {
        Lane? best = null;
        Lane? empty = null;
        foreach (var lane in _lanes)
        {
            if (lane.Count == 0)
            {
                empty ??= lane;
            }
            else if (lane.Last <= key && (best is null || lane.Last > best.Last))
            {
                best = lane;
            }
        }

        if ((best ?? empty) is { } target)
        {
            target.Append(key, slot);
        }
        else
        {
            _heap.Enqueue(slot, key);
        }

        Count++;
        _peeked = Unknown;
    }

    /// <summary>Removes the head of the queue.</summary>
    public void Pop()
    {
        if (_peeked == Unknown && !TryPeek(out _, out _))
        {
            throw new InvalidOperationException("The timer queue is empty.");
        }

        if (_peeked == FromHeap)
        {
            _heap.Dequeue();
        }
        else
        {
            _lanes[_peeked].RemoveHead();
        }

        Count--;
        _peeked = Unknown;
    }

    /// <summary>Removes every entry for which <paramref name="isLive"/> is false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Compact(Func<long, int, bool> isLive)
    {
        var live = _heap.UnorderedItems.Where(entry => isLive(entry.Priority, entry.Element)).ToList();
        _heap.Clear();
        _heap.TrimExcess();
        _heap.EnqueueRange(live); // O(n) heapify
        var count = _heap.Count;
        foreach (var lane in _lanes)
        {
            lane.Compact(isLive);
            count += lane.Count;
        }

        Count = count;
        _peeked = Unknown;
    }

    /// <summary>
    /// A first-in first-out run of entries whose keys never decrease: appended at the tail, taken from the head, both in O(1)
    /// and in address order, so a pass over a million of them streams through memory instead of jumping through a heap. A
    /// power-of-two ring that grows by doubling.
    /// </summary>
    private sealed class Lane
    {
        private Entry[] _ring = new Entry[16]; // a power of two, as every capacity
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
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        /// <summary>One entry, 12 bytes: a due time (stale once it differs from the slot's <see cref="Slot.TimerKey"/>) and its slot.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public readonly record struct Entry(long Key, int Slot);
    }
}

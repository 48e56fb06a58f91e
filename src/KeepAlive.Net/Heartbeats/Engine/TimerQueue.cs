using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer loop's min-queue of (due time, slot). Most keys arrive in order (heartbeats of one interval fall due in the
/// order they were scheduled): such a key goes to the lane whose last key is the largest not above it, a FIFO
/// <see cref="Queue{T}"/> (O(1), streaming through memory); the rest to the framework's <see cref="PriorityQueue{TElement, TPriority}"/>.
/// Removal is lazy: an entry whose key is not its slot's <see cref="Slot.TimerKey"/> is stale, dropped when it surfaces or
/// by <see cref="Compact"/>. Only the owner of the loop touches it.
/// </summary>
internal sealed class TimerQueue
{
    private const int LaneCount = 8; // one per interval in use covers most services
    private const int FromHeap = -1;
    private const int Unknown = -2;
    private readonly PriorityQueue<int, long> _heap = new();
    private readonly Queue<Entry>[] _lanes = [.. Enumerable.Range(0, LaneCount).Select(_ => new Queue<Entry>(16))];
    private readonly long[] _lastKeys = new long[LaneCount]; // each lane's last appended key; an append must not be smaller
    private int _peeked = Unknown;

    public int Count { get; private set; }

    /// <summary>Gets how many entries sit in the heap (out of order), for tests.</summary>
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
            if (_lanes[i].TryPeek(out var head) && head.Key < key)
            {
                (key, slot) = head;
                _peeked = i;
            }
        }

        return _peeked != Unknown;
    }

    public void Push(long key, int slot)
    {
        int best = -1, empty = -1;
        for (var i = 0; i < _lanes.Length; i++)
        {
            if (_lanes[i].Count == 0)
            {
                empty = empty < 0 ? i : empty;
            }
            else if (_lastKeys[i] <= key && (best < 0 || _lastKeys[i] > _lastKeys[best]))
            {
                best = i;
            }
        }

        if ((best >= 0 ? best : empty) is var lane && lane >= 0)
        {
            _lanes[lane].Enqueue(new Entry(key, slot));
            _lastKeys[lane] = key;
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
            _lanes[_peeked].Dequeue();
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
            for (var i = lane.Count; i > 0; i--)
            {
                var entry = lane.Dequeue();
                if (isLive(entry.Key, entry.Slot))
                {
                    lane.Enqueue(entry); // in order, and never past the room the lane had
                }
            }

            if (BurstRoom.Trimmed(lane.Capacity, lane.Count) is var capacity && capacity < lane.Capacity)
            {
                lane.TrimExcess(capacity);
            }

            count += lane.Count;
        }

        Count = count;
        _peeked = Unknown;
    }

    /// <summary>One entry, 12 bytes: a due time (stale once it differs from the slot's <see cref="Slot.TimerKey"/>) and its slot.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Entry(long Key, int Slot);
}

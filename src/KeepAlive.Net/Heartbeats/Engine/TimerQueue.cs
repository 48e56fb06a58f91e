namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The timer thread's own min-queue of (due time, slot). Heartbeats of one interval come due in the order they were
/// scheduled, so most keys arrive in order: such a key is appended to a <see cref="TimerLane"/> (a sorted FIFO, O(1),
/// sequential memory), the one whose last key is the largest not above it. Only a key smaller than every lane's last
/// (a postponement after activity, jitter, a mix of intervals beyond the lanes) goes to the heap, the framework's 4-ary
/// <see cref="PriorityQueue{TElement, TPriority}"/>.
/// The head of the queue is the smallest of the heap's top and the lanes' heads. Removal is lazy: an entry whose key
/// no longer equals its slot's <see cref="Slot.TimerKey"/> is stale and dropped when it surfaces, and
/// <see cref="Compact"/> sweeps them out when they pile up. Not thread-safe: only the timer thread touches it.
/// </summary>
internal sealed class TimerQueue
{
    /// <summary>How many sorted runs are kept: one per interval in use covers most services.</summary>
    public const int LaneCount = 8;

    private const int FromHeap = -1;
    private const int Unknown = -2;
    private readonly PriorityQueue<int, long> _heap = new();
    private readonly TimerLane[] _lanes = new TimerLane[LaneCount];
    private int _peeked = Unknown;

    public TimerQueue()
    {
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new TimerLane();
        }
    }

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
        TimerLane? best = null;
        TimerLane? empty = null;
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
}

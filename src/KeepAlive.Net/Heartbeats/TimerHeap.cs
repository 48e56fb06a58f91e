namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// An array-backed binary min-heap of <see cref="TimerNode"/>s ordered by due time. Insert, remove and
/// pop are O(log n); nodes know their index, so nothing is searched and nothing is allocated except when
/// the array doubles. Not thread-safe: the scheduler guards it with one lock.
/// </summary>
internal sealed class TimerHeap
{
    private TimerNode[] _items = new TimerNode[64];

    public int Count { get; private set; }

    public TimerNode? Peek() => Count > 0 ? _items[0] : null;

    public void Insert(TimerNode node, long due)
    {
        node.Due = due;
        if (node.HeapIndex >= 0)
        {
            Restore(node.HeapIndex);
            return;
        }

        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count] = node;
        node.HeapIndex = Count;
        Count++;
        SiftUp(node.HeapIndex);
    }

    public TimerNode Pop()
    {
        var top = _items[0];
        RemoveAt(0);
        return top;
    }

    public bool Remove(TimerNode node)
    {
        var index = node.HeapIndex;
        if (index < 0 || index >= Count || !ReferenceEquals(_items[index], node))
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    private void RemoveAt(int index)
    {
        var removed = _items[index];
        Count--;
        if (index != Count)
        {
            _items[index] = _items[Count];
            _items[index].HeapIndex = index;
            _items[Count] = null!;
            Restore(index);
        }
        else
        {
            _items[Count] = null!;
        }

        removed.HeapIndex = -1;
    }

    private void Restore(int index)
    {
        if (index > 0 && _items[index].Due < _items[(index - 1) / 2].Due)
        {
            SiftUp(index);
        }
        else
        {
            SiftDown(index);
        }
    }

    private void SiftUp(int index)
    {
        var node = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (_items[parent].Due <= node.Due)
            {
                break;
            }

            Move(parent, index);
            index = parent;
        }

        Place(node, index);
    }

    private void SiftDown(int index)
    {
        var node = _items[index];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && _items[child + 1].Due < _items[child].Due)
            {
                child++;
            }

            if (node.Due <= _items[child].Due)
            {
                break;
            }

            Move(child, index);
            index = child;
        }

        Place(node, index);
    }

    private void Move(int from, int to)
    {
        _items[to] = _items[from];
        _items[to].HeapIndex = to;
    }

    private void Place(TimerNode node, int index)
    {
        _items[index] = node;
        node.HeapIndex = index;
    }
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>An entry of <see cref="TimerHeap"/>: a due time and the node's position, so removal is O(log n).</summary>
internal abstract class TimerNode
{
    /// <summary>Gets or sets the due time as a TimeProvider timestamp. Only changed under the heap's lock.</summary>
    public long Due { get; set; }

    /// <summary>Gets or sets the position in the heap, or -1 when the node is not in it.</summary>
    public int HeapIndex { get; set; } = -1;
}

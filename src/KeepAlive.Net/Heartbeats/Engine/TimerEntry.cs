using System.Numerics;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>One entry of the <see cref="TimerQueue"/>: a due time and the slot it belongs to, 12 bytes.</summary>
/// <param name="Key">The due time, a TimeProvider timestamp; stale once it differs from the slot's <see cref="Slot.TimerKey"/>.</param>
/// <param name="Slot">The slot index.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct TimerEntry(long Key, int Slot)
{
    /// <summary>
    /// The capacity to keep for <paramref name="count"/> entries after a compaction: the same when the array is at most
    /// four times too big, otherwise the next power of two above twice the count (never below <paramref name="minimum"/>).
    /// </summary>
    public static int TrimmedCapacity(int capacity, int count, int minimum) =>
        capacity > minimum && capacity > 4 * count ? Math.Max(minimum, (int)BitOperations.RoundUpToPowerOf2((uint)(2 * count))) : capacity;
}

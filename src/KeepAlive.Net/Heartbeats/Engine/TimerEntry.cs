using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>One entry of the <see cref="TimerQueue"/>: a due time and the slot it belongs to, 12 bytes.</summary>
/// <param name="Key">The due time, a TimeProvider timestamp; stale once it differs from the slot's <see cref="Slot.TimerKey"/>.</param>
/// <param name="Slot">The slot index.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct TimerEntry(long Key, int Slot);

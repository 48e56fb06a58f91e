using System.Numerics;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The one rule for the engine's growable buffers: they keep their room between uses, so a steady load allocates nothing,
/// but give back a past burst's (a reconnect storm, a mass death), so memory returns to where it was.
/// </summary>
internal static class BurstRoom
{
    /// <summary>Buffers at most this big are never trimmed.</summary>
    public const int Kept = 64;

    /// <summary>The capacity to keep for <paramref name="used"/> items: the same unless it is over <see cref="Kept"/> and more than 8 times the use.</summary>
    public static int Trimmed(int capacity, int used) =>
        capacity > Kept && capacity > 8 * used ? Math.Max(Kept, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, 2 * used))) : capacity;

    /// <summary>Gives back a list's burst room (after it was cleared or drained to <paramref name="used"/> items).</summary>
    public static void Trim<T>(List<T> list, int used)
    {
        if (Trimmed(list.Capacity, used) is var capacity && capacity < list.Capacity)
        {
            list.Capacity = Math.Max(capacity, list.Count);
        }
    }
}

using System.Numerics;

namespace KeepAlive.Net.Diagnostics;

/// <summary>Lock-free "keep the largest value seen" for counters read by other threads.</summary>
internal static class InterlockedMax
{
    /// <summary>Raises <paramref name="location"/> to <paramref name="value"/> when it is larger; never lowers it.</summary>
    /// <typeparam name="T">An integer type (int or long).</typeparam>
    public static void Raise<T>(ref T location, T value)
        where T : struct, IBinaryInteger<T>
    {
        var current = location; // a stale read only costs one more turn of the loop
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

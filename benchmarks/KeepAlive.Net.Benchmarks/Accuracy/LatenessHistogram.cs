using System.Diagnostics;
using System.Numerics;
using KeepAlive.Net.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// A thread-safe log-linear histogram of lateness in microseconds: exact below 64 µs, then 32 buckets per
/// power of two (at most 3.2 % wide). Percentiles report a bucket's upper bound, so they never understate.
/// Millions of samples cost a fixed 15 KB, and recording is one interlocked increment.
/// </summary>
internal sealed class LatenessHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int LinearLimit = SubBucketCount * 2;
    private const int FirstExponent = SubBucketBits + 1;
    private const double MicrosecondsPerSecond = 1_000_000;

    private static readonly double MicrosecondsPerTick = MicrosecondsPerSecond / Stopwatch.Frequency;

    private readonly long[] _counts = new long[LinearLimit + ((64 - FirstExponent) * SubBucketCount)];
    private long _max;

    public long Count => _counts.Sum();

    public long MaxMicroseconds => Volatile.Read(ref _max);

    public static long TicksToMicroseconds(long ticks) => (long)(ticks * MicrosecondsPerTick);

    public void RecordTicks(long ticks) => Record(TicksToMicroseconds(ticks));

    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        InterlockedMax.Raise(ref _max, value);
    }

    /// <summary>The smallest bucket bound that at least <paramref name="quantile"/> of the samples do not exceed.</summary>
    public long PercentileMicroseconds(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var mantissa = (int)(value >> (exponent - SubBucketBits)) & (SubBucketCount - 1);
        return LinearLimit + ((exponent - FirstExponent) * SubBucketCount) + mantissa;
    }

    private static long LowerBound(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var offset = index - LinearLimit;
        var exponent = (offset / SubBucketCount) + FirstExponent;
        var mantissa = offset % SubBucketCount;
        return (long)(SubBucketCount + mantissa) << (exponent - SubBucketBits);
    }

    private static long UpperBound(int index) => index + 1 < LinearLimit + ((63 - FirstExponent) * SubBucketCount)
        ? LowerBound(index + 1) - 1
        : long.MaxValue;
}

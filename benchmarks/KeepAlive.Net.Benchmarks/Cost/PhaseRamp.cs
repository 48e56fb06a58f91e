using System.Diagnostics;
using System.Runtime;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// Adds a contender's registrations at random instants within one interval (a seeded, sorted uniform draw), so
/// their phases are random the way real connections' are, clusters included; every contender gets the same draw.
/// Runs on the calling thread and returns how far behind its plan it finished (a slow registration path shows here).
/// </summary>
internal static class PhaseRamp
{
    public static TimeSpan Run(LatenessTracker tracker, Contender contender, TimeSpan interval, int seed)
    {
        var offsets = new long[contender.Registrations];
        var random = new Random(seed);
        var intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = random.NextInt64(intervalTicks);
        }

        Array.Sort(offsets);
        var noGc = TryStartNoGcRegion(contender.Registrations);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < offsets.Length; i++)
        {
            while (Stopwatch.GetTimestamp() - start < offsets[i])
            {
                Thread.Sleep(1);
            }

            tracker.Start(i);
            contender.Add(i);
        }

        if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }

        var planned = offsets.Length == 0 ? 0 : offsets[^1];
        return Stopwatch.GetElapsedTime(start + planned);
    }

    /// <summary>
    /// A collection during the ramp would pause it, and the registrations it held back would then be made all at once:
    /// a cluster due at the same instant every interval, which one contender (the one that allocates per registration)
    /// would face and another not. So the ramp runs without collections when the runtime can promise that.
    /// </summary>
    private static bool TryStartNoGcRegion(int registrations)
    {
        var bytes = Math.Max(16L << 20, registrations * 512L);
        try
        {
            return GC.TryStartNoGCRegion(bytes);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // more than the runtime can set aside: ramp with collections
        }
    }
}

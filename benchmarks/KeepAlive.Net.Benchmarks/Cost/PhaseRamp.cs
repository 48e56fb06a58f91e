using System.Diagnostics;
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

        var planned = offsets.Length == 0 ? 0 : offsets[^1];
        return Stopwatch.GetElapsedTime(start + planned);
    }
}

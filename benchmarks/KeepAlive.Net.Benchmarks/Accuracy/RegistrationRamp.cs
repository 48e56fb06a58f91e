using System.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// Adds every contender's registrations in step, spread evenly over one interval, so their phases spread as
/// real connections' do instead of all firing at the same instant. Runs on the calling thread.
/// </summary>
internal static class RegistrationRamp
{
    /// <summary>Adds registrations 0 to <paramref name="count"/> - 1 at once, as a burst of connections (a restart, a reconnect storm) would.</summary>
    public static void AddAtOnce(LatenessTracker tracker, Contender contender, int count)
    {
        for (var i = 0; i < count; i++)
        {
            tracker.Start(i);
            contender.Add(i);
        }
    }

    public static void Run(IReadOnlyList<(LatenessTracker Tracker, Contender Contender)> entries, TimeSpan interval)
    {
        var steps = entries.Max(e => e.Contender.Registrations);
        var added = new int[entries.Count];
        // Each contender's first registration starts it (threads, settings): a few milliseconds the ramp would then make up
        // in one burst of registrations, which the scheduler rightly spreads. The ramp's clock starts once they are made.
        for (var k = 0; k < entries.Count; k++)
        {
            AddAtOnce(entries[k].Tracker, entries[k].Contender, count: 1);
            added[k] = 1;
        }

        var start = Stopwatch.GetTimestamp();
        var intervalTicks = interval.TotalSeconds * Stopwatch.Frequency;
        var slack = Stopwatch.Frequency / 1000;
        for (var step = 1; step <= steps; step++)
        {
            var fraction = (double)step / steps;
            while (Stopwatch.GetTimestamp() - start < (fraction * intervalTicks) - slack)
            {
                Thread.Sleep(1);
            }

            for (var k = 0; k < entries.Count; k++)
            {
                var (tracker, contender) = entries[k];
                var wanted = (int)Math.Ceiling(fraction * contender.Registrations);
                for (; added[k] < wanted; added[k]++)
                {
                    tracker.Start(added[k]);
                    contender.Add(added[k]);
                }
            }
        }
    }
}

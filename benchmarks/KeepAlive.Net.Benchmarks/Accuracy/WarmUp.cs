namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// The warm-up before a measured run (the soak and the accuracy harness): each contender runs two heartbeats on
/// <see cref="Registrations"/> registrations of its own, so the measured registrations meet a process that has compiled
/// the contender's path, as a service that already talks on its connections has. A cold process pays its just-in-time
/// compilation once, on its first heartbeats, whoever sends them: about 8 ms on the soak's send and metrics; in the
/// accuracy harness's idle load, a first round 7-36 ms late for about 6,000 of 100,000 registrations.
/// </summary>
internal static class WarmUp
{
    /// <summary>How many registrations each contender warms up with.</summary>
    public const int Registrations = 32;

    /// <summary>Registers each tracker's registrations at once on its contender, waits two and a half intervals, then disposes the contenders.</summary>
    public static void Run(TimeSpan interval, IReadOnlyList<(LatenessTracker Tracker, Contender Contender)> entries)
    {
        try
        {
            foreach (var (tracker, contender) in entries)
            {
                RegistrationRamp.AddAtOnce(tracker, contender, tracker.Registrations);
            }

            Thread.Sleep(interval * 2.5);
        }
        finally
        {
            foreach (var (_, contender) in entries)
            {
                contender.Dispose();
            }
        }
    }
}

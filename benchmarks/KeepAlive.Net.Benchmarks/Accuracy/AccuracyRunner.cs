using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Loads;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// Runs every contender side by side, in this process, after a warm-up, under one load after another: start the load, let it
/// bite, ramp the registrations up over one interval (so their phases spread as real connections' do),
/// measure for the duration, close every tracker at the same instant, stop the load and wait until the
/// thread pool is responsive again before the next load. Runs on the calling thread, never on the pool.
/// </summary>
internal sealed class AccuracyRunner(AccuracyOptions options, TextWriter log)
{
    private static readonly TimeSpan LoadSettleTime = TimeSpan.FromMilliseconds(500);

    private const int WarmUpRegistrations = 32;

    public IReadOnlyList<AccuracyResult> Run()
    {
        WarmUp();
        var results = new List<AccuracyResult>();
        foreach (var loadName in options.Loads)
        {
            using var load = Benchmarks.Loads.Loads.Create(loadName);
            results.AddRange(RunLoad(load));
        }

        return results;
    }

    /// <summary>
    /// Runs every contender for two heartbeats on <see cref="WarmUpRegistrations"/> registrations of its own before anything is
    /// measured, as the soak does, so the measured ramp meets a process that has compiled each contender's path. A cold
    /// process pays its compilation once, on its first heartbeats, whoever sends them: here the first round of the idle load
    /// was then 7-36 ms late for about 6,000 of 100,000 registrations, and the first registrations kept the first
    /// registration's compile time as lateness in every round.
    /// </summary>
    private void WarmUp()
    {
        var warm = Contenders.All.Select(kind =>
        {
            var tracker = new LatenessTracker(WarmUpRegistrations, options.Interval);
            var contender = Contenders.Create(kind, tracker.Registrations, options.Interval, tracker.Beat);
            for (var i = 0; i < tracker.Registrations; i++)
            {
                tracker.Start(i);
                contender.Add(i);
            }

            return contender;
        }).ToList();
        Thread.Sleep(options.Interval * 2.5);
        warm.ForEach(contender => contender.Dispose());
    }

    private List<AccuracyResult> RunLoad(Load load)
    {
        var entries = Contenders.All.Select(kind =>
        {
            var tracker = new LatenessTracker(options.RegistrationsFor(Contenders.IsOurs(kind)), options.Interval);
            return (Tracker: tracker, Contender: Contenders.Create(kind, tracker.Registrations, options.Interval, tracker.Beat));
        }).ToList();

        log.WriteLine($"[accuracy] load {load.Name}: {string.Join(", ", entries.Select(e => $"{e.Contender.Name} x{e.Contender.Registrations:N0}"))}, {options.Duration.TotalSeconds:0.#} s");
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        load.Start();
        Thread.Sleep(LoadSettleTime);
        var measuring = Stopwatch.GetTimestamp();
        RegistrationRamp.Run(entries, options.Interval);
        var left = options.Duration - Stopwatch.GetElapsedTime(measuring);
        if (left > TimeSpan.Zero)
        {
            Thread.Sleep(left);
        }

        var totals = entries.Select(e => e.Tracker.Close()).ToList();
        load.Stop();
        foreach (var entry in entries)
        {
            entry.Contender.Dispose();
        }

        var recovery = ThreadPoolRecovery.WaitUntilResponsive();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        log.WriteLine($"[accuracy] load {load.Name} stopped; process CPU {cpu.TotalSeconds:0.0} s; thread pool responsive again after {recovery.TotalSeconds:0.0} s ({ThreadPool.ThreadCount} threads)");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        return entries.Select((e, i) => new AccuracyResult(load.Name, e.Contender.Name, e.Contender.IsOurs, e.Contender.Registrations, totals[i], e.Tracker.Histogram)).ToList();
    }
}

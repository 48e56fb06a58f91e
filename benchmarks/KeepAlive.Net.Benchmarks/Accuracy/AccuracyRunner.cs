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

    /// <summary>Warms every contender up (<see cref="Accuracy.WarmUp"/>) before the first load, so the first round measured is not the process's compilation.</summary>
    private void WarmUp() => Accuracy.WarmUp.Run(options.Interval, [.. Contenders.All.Select(kind =>
    {
        var tracker = new LatenessTracker(Accuracy.WarmUp.Registrations, options.Interval);
        return (tracker, Contenders.Create(kind, tracker.Registrations, options.Interval, tracker.Beat));
    })]);

    private List<AccuracyResult> RunLoad(Load load)
    {
        var entries = Contenders.All.Select(kind =>
        {
            var tracker = new LatenessTracker(options.RegistrationsFor(Contenders.OnThreadPool(kind)), options.Interval);
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

using System.Diagnostics;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// Runs the contenders one after another in this process, each alone while it is measured, with a full
/// collection and a quiet pause between: first each one empty and with 10 registrations, then each size.
/// A size is measured twice: a registration burst (N registrations in a tight loop with a 1 h interval, so
/// nothing fires: time to register all and retained bytes per registration), then a firing run (random phases
/// over one interval, warm-up, measured window: CPU, allocations, fires and lateness).
/// </summary>
internal sealed class CostRunner(CostOptions options, TextWriter log)
{
    public const int IdleRegistrations = 10;

    private const int WarmUpRegistrations = 1000;

    private static readonly TimeSpan BurstInterval = TimeSpan.FromHours(1);

    /// <summary>At 10 beats a second a hot method reaches tier 1 after a few seconds: idle rows wait for that.</summary>
    private static readonly TimeSpan IdleWarmup = TimeSpan.FromSeconds(10);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public List<CostResult> Run()
    {
        var results = new List<CostResult>();

        // JIT and tiering first: every contender runs once unmeasured, so no row pays for the process's start-up.
        foreach (var kind in options.Contenders)
        {
            _ = Firing(kind, WarmUpRegistrations, CostScenario.Firing, TimeSpan.Zero, options.Warmup, measureRegistration: false);
        }

        foreach (var kind in options.Contenders)
        {
            results.Add(Empty(kind));
            results.Add(Firing(kind, IdleRegistrations, CostScenario.Idle, Max(options.Warmup, IdleWarmup), options.IdleWindow, measureRegistration: false));
        }

        foreach (var size in options.Sizes)
        {
            foreach (var kind in options.Contenders)
            {
                results.Add(Firing(kind, size, CostScenario.Firing, options.Warmup, options.Window, measureRegistration: true));
            }
        }

        return results;
    }

    private CostResult Empty(CostContenderKind kind)
    {
        ProcessMeter start = default;
        ProcessMeter end = default;
        ThreadMeter? own = null;
        var jit = TimeSpan.Zero;
        string name;
        using (var contender = CostContenders.Create(kind, 1, options.Interval, static _ => { }))
        {
            name = contender.Name;
            contender.Add(0);
            contender.Remove(0);
            Thread.Sleep(options.Interval); // the removed registration's entry comes due once (lazy removal): let it pass first

            // Read before settling: the scheduler's threads must stay asleep through that too, and the JIT's tier-up of the
            // /proc reading code (tens of milliseconds) then happens while settling, not in the window.
            var ownBefore = contender.IsOurs ? ThreadMeter.Read(ThreadMeter.SchedulerThreads) : null;
            ProcessMeter.Settle(options.Quiet);
            var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
            start = ProcessMeter.Read();
            Thread.Sleep(options.IdleWindow);
            end = ProcessMeter.Read();
            jit = System.Runtime.JitInfo.GetCompilationTime() - jitBefore;
            own = ThreadMeter.Read(ThreadMeter.SchedulerThreads) is { } ownAfter && ownBefore is { } before ? ownAfter.Since(before) : null;
        }

        var cpu = end.CpuPercentSince(start);
        var threads = own is { } used ? $"; its {used.Threads} threads: {used.CpuNanoseconds / 1e3:0.#} µs CPU, scheduled {used.TimesScheduled} times" : string.Empty;
        log.WriteLine($"[cost] {name}, empty: {cpu:0.000} % of a core over {options.IdleWindow.TotalSeconds:0.#} s{threads}; JIT in the window {jit.TotalMilliseconds:0.#} ms");
        return new CostResult(kind, name, CostScenario.Empty, 0, cpu, 0, 0, null, double.NaN, double.NaN, null, double.NaN) { SchedulerThreads = own };
    }

    private CostResult Firing(CostContenderKind kind, int count, CostScenario scenario, TimeSpan warmup, TimeSpan window, bool measureRegistration)
    {
        var (registerAll, bytesPerRegistration) = measureRegistration ? RegisterBurst(kind, count) : (default(TimeSpan?), double.NaN);
        var tracker = new LatenessTracker(count, options.Interval, measuredWindow: true);
        ProcessMeter.Settle(options.Quiet);
        ProcessMeter start;
        ProcessMeter end;
        TrackerTotals totals;
        string name;
        using (var contender = CostContenders.Create(kind, count, options.Interval, tracker.Beat))
        {
            name = contender.Name;
            if (options.Burst && scenario == CostScenario.Firing)
            {
                var registering = Stopwatch.GetTimestamp();
                RegistrationRamp.AddAtOnce(tracker, contender, count);

                log.WriteLine($"[cost] {name} x{count:N0}: registered in a burst in {Stopwatch.GetElapsedTime(registering).TotalMilliseconds:0} ms; warm-up {warmup.TotalSeconds:0.#} s, window {window.TotalSeconds:0.#} s");
            }
            else
            {
                var lag = PhaseRamp.Run(tracker, contender, options.Interval, options.Seed);
                log.WriteLine($"[cost] {name} x{count:N0}: registered with random phases over {options.Interval.TotalSeconds:0.#} s (finished {lag.TotalMilliseconds:0} ms behind plan); warm-up {warmup.TotalSeconds:0.#} s, window {window.TotalSeconds:0.#} s");
            }
            Thread.Sleep(warmup);
            start = ProcessMeter.Read();
            var gcBefore = GcActivity.Read();
            tracker.StartWindow(start.Timestamp);
            Thread.Sleep(window);
            end = ProcessMeter.Read();
            totals = tracker.Close();
            log.WriteLine($"[cost] {name} x{count:N0}: GC in the window: {GcActivity.Read().Since(gcBefore)}");
        }

        var fires = totals.Sent > 0 ? totals.Sent : double.NaN;
        var result = new CostResult(
            kind, name, scenario, count, end.CpuPercentSince(start), totals.Due, totals.Sent, tracker.Histogram, bytesPerRegistration,
            (end.Allocated - start.Allocated) / fires, registerAll, (end.Cpu - start.Cpu).TotalMicroseconds / fires);
        log.WriteLine($"[cost] {name} x{count:N0}: {result.CpuPercent:0.00} % of a core, {result.CpuMicrosecondsPerFire:0.00} µs CPU per fire, {totals.Sent:N0} of {totals.Due:N0} fires, p99 {Lateness.Human(result.P99)}, {result.BytesPerFire:0.##} B per fire");
        return result;
    }

    private (TimeSpan? RegisterAll, double BytesPerRegistration) RegisterBurst(CostContenderKind kind, int count)
    {
        ProcessMeter.Settle(options.Quiet);
        using var contender = CostContenders.Create(kind, count, BurstInterval, Contender.NoBeat);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            contender.Add(i);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perRegistration = (double)(after - before) / count;
        log.WriteLine($"[cost] {contender.Name}: {count:N0} registrations in {elapsed.TotalMilliseconds:N0} ms, {perRegistration:0.#} B retained each");
        return (elapsed, perRegistration);
    }
}

using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>The cost targets of issue 8, evaluated on one run's rows.</summary>
internal static class CostTargets
{
    private const double IdlePercentLimit = 0.5;
    private const double EmptyPointsLimit = 0.05;

    /// <summary>A thousandth of a percent of a core: 50 µs of CPU over a 5 s window, a handful of thread wake-ups.</summary>
    private const double OwnThreadsLimit = 0.001;
    private const double BestContenderFactor = 1.5;
    private const double AcceptableP99Microseconds = 10_000;
    private const double AcceptableDelivery = 0.99;
    private const double ZeroBytesPerFire = 0.5;
    private const double BytesPerRegistrationLimit = 128;
    private const int MemorySize = 1_000_000;
    private static readonly int[] PerFireSizes = [100_000, 1_000_000];

    public static IEnumerable<TargetCheck> From(IReadOnlyList<CostResult> results)
    {
        var idle = Find(results, CostScenario.Idle, CostRunner.IdleRegistrations);
        yield return idle is null
            ? TargetCheck.NotMeasured("idle: 10 registrations cost < 0.5 % of one core", "KeepAlive.Net not selected")
            : TargetCheck.AtMost("idle: 10 registrations cost < 0.5 % of one core", idle.CpuPercent, IdlePercentLimit, " %");
        yield return Empty(results);

        foreach (var size in PerFireSizes)
        {
            var ours = Find(results, CostScenario.Firing, size);
            if (ours is null)
            {
                yield return TargetCheck.NotMeasured($"CPU per fire at {size:N0} <= 1.5 x the best contender with p99 < 10 ms", $"KeepAlive.Net at {size:N0} not run (--registrations)");
                yield return TargetCheck.NotMeasured($"0 B allocated per fire at {size:N0}", $"KeepAlive.Net at {size:N0} not run (--registrations)");
                continue;
            }

            yield return PerFire(results, ours);
            yield return TargetCheck.AtMost($"0 B allocated per fire at {size:N0} (process-wide allocations over the window / fires; under {ZeroBytesPerFire} B rounds to 0)", ours.BytesPerFire, ZeroBytesPerFire, " B");
        }

        var million = Find(results, CostScenario.Firing, MemorySize);
        const string Why = "KeepAlive.Net at 1,000,000 not run (--registrations)";
        yield return million is null
            ? TargetCheck.NotMeasured("<= 128 B of managed heap per registration at 1,000,000", Why)
            : TargetCheck.AtMost("<= 128 B of managed heap per registration at 1,000,000", million.BytesPerRegistration, BytesPerRegistrationLimit, " B");
        yield return million?.RegisterAll is not { } registerAll
            ? TargetCheck.NotMeasured("registering 1,000,000 takes < 1 s", Why)
            : TargetCheck.AtMost("registering 1,000,000 takes < 1 s", registerAll.TotalSeconds, 1, " s");
    }

    private static TargetCheck Empty(IReadOnlyList<CostResult> results)
    {
        var ours = Find(results, CostScenario.Empty, 0);
        var baseline = results.FirstOrDefault(r => r.Kind == CostContenderKind.ThreadingTimer && r.Scenario == CostScenario.Empty);
        if (ours is null)
        {
            return TargetCheck.NotMeasured("an empty scheduler costs nothing measurable", "KeepAlive.Net not selected");
        }

        var excess = ours.CpuPercent - (baseline?.CpuPercent ?? 0);
        var process = FormattableString.Invariant($"process: {excess:0.###} points above {(baseline is null ? "zero (no Threading.Timer row)" : "the Threading.Timer empty row")}");
        if (ours.SchedulerThreads is { Threads: > 0 } own)
        {
            // The scheduler's own threads, read to the nanosecond: the process-wide figure also carries the runtime's idle noise.
            return TargetCheck.AtMost(
                FormattableString.Invariant($"an empty scheduler costs nothing measurable: its threads <= {OwnThreadsLimit} % of a core (scheduled {own.TimesScheduled} times; {process})"),
                own.PercentOfCore,
                OwnThreadsLimit,
                " %");
        }

        return TargetCheck.AtMost($"an empty scheduler costs nothing measurable: <= 0.05 points of a core above the process baseline ({process})", excess, EmptyPointsLimit, " points");
    }

    private static TargetCheck PerFire(IReadOnlyList<CostResult> results, CostResult ours)
    {
        var best = results
            .Where(r => !r.IsOurs && r.Scenario == CostScenario.Firing && r.Registrations == ours.Registrations)
            .Where(r => r.P99 < AcceptableP99Microseconds && r.Delivered >= AcceptableDelivery * r.Expected)
            .MinBy(r => r.CpuMicrosecondsPerFire);
        var target = $"CPU per fire at {ours.Registrations:N0} <= 1.5 x the best contender with p99 < 10 ms and >= 99 % of fires delivered";
        return best is null
            ? TargetCheck.NotMeasured(target, "no other contender met p99 < 10 ms with 99 % of fires delivered")
            : TargetCheck.AtMost($"{target} ({best.Contender}: {best.CpuMicrosecondsPerFire:0.###} µs; ours {ours.CpuMicrosecondsPerFire:0.###} µs)", ours.CpuMicrosecondsPerFire / best.CpuMicrosecondsPerFire, BestContenderFactor, "x");
    }

    private static CostResult? Find(IReadOnlyList<CostResult> results, CostScenario scenario, int registrations) =>
        results.FirstOrDefault(r => r.IsOurs && r.Scenario == scenario && r.Registrations == registrations);
}

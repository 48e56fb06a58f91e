using BenchmarkDotNet.Reports;
using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>The fire-cost targets, read from <see cref="HeartbeatFireBenchmarks"/> with 1,000,000 registrations.</summary>
internal static class FireTargets
{
    private const double NanosecondsLimit = 1_000;
    private const int TargetRegistrations = 1_000_000;

    public static IEnumerable<TargetCheck> From(List<BenchmarkReport> reports)
    {
        const string Time = "<= 1 µs per fired heartbeat at 1,000,000 registrations, excluding the user's send (Fire - CallbackOnly)";
        const string Bytes = "0 bytes allocated per fired heartbeat at 1,000,000 registrations";
        var fire = Find(reports, nameof(HeartbeatFireBenchmarks.Fire));
        var callback = Find(reports, nameof(HeartbeatFireBenchmarks.CallbackOnly));
        if (fire is null || callback is null)
        {
            const string Why = "HeartbeatFireBenchmarks with 1,000,000 registrations not selected";
            return [TargetCheck.NotMeasured(Time, Why), TargetCheck.NotMeasured(Bytes, Why)];
        }

        return
        [
            TargetCheck.AtMost(Time, fire.ResultStatistics!.Mean - callback.ResultStatistics!.Mean, NanosecondsLimit, " ns"),
            TargetCheck.AtMost(Bytes, fire.GcStats.GetBytesAllocatedPerOperation(fire.BenchmarkCase) ?? double.NaN, 0, " B"),
        ];
    }

    private static BenchmarkReport? Find(List<BenchmarkReport> reports, string method) => reports.FirstOrDefault(r =>
        r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
        && Equals(r.BenchmarkCase.Parameters[nameof(HeartbeatFireBenchmarks.Registrations)], TargetRegistrations));
}

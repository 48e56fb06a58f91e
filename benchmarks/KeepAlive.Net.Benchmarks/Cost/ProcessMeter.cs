using System.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// A reading of the whole process: CPU time of every thread (user + kernel), bytes allocated on every thread
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise) and the monotonic clock. Two readings give the cost of
/// what ran between them, whichever threads ran it.
/// </summary>
internal readonly record struct ProcessMeter(TimeSpan Cpu, long Allocated, long Timestamp)
{
    public static ProcessMeter Read() => new(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: true), Stopwatch.GetTimestamp());

    /// <summary>CPU time between <paramref name="start"/> and this reading, as a percentage of one core over the wall time.</summary>
    public double CpuPercentSince(ProcessMeter start) => 100 * (Cpu - start.Cpu).TotalSeconds / Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds;

    /// <summary>
    /// Waits until the thread pool has drained what a previous contender queued (a <see cref="Timer"/> that fell
    /// behind leaves callbacks queued after it is disposed), forces a full blocking, compacting collection, waits for
    /// finalizers, then lets the process go quiet and the JIT finish its background work.
    /// </summary>
    public static void Settle(TimeSpan quiet)
    {
        Loads.ThreadPoolRecovery.WaitUntilResponsive();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Thread.Sleep(quiet);
        WaitForJit();
    }

    /// <summary>
    /// Waits (up to 10 s) until the JIT has been idle for 300 ms: tiered compilation promotes what the previous run made
    /// hot in the background, tens of milliseconds of CPU that would otherwise land in whichever row is measured next.
    /// </summary>
    private static void WaitForJit()
    {
        var until = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        var last = System.Runtime.JitInfo.GetCompilationTime();
        var quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(quietSince) < TimeSpan.FromMilliseconds(300) && Stopwatch.GetTimestamp() < until)
        {
            Thread.Sleep(50);
            var now = System.Runtime.JitInfo.GetCompilationTime();
            if (now != last)
            {
                last = now;
                quietSince = Stopwatch.GetTimestamp();
            }
        }
    }
}

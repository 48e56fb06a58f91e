using KeepAlive.Net.Benchmarks.Cli;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>
/// <c>memory</c>: bytes per registration with N registrations (1,000,000 by default), measured, not estimated:
/// the managed heap after a full blocking collection (GC.GetTotalMemory(true)) before and after registering, divided
/// by N, and the bytes allocated on the registering thread (GC.GetAllocatedBytesForCurrentThread) divided by N.
/// A periodic <see cref="Timer"/> per registration is measured the same way for comparison.
/// </summary>
internal static class MemoryMode
{
    private const double BytesPerRegistrationLimit = 128;
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static bool Run(int registrations, TextWriter output)
    {
        output.WriteLine($"# Memory per registration: {registrations:N0} registrations, interval {Interval.TotalMinutes:0} min (nothing fires)");
        output.WriteLine();
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Interval };
        Func<HeartbeatContext, ValueTask> send = static _ => ValueTask.CompletedTask;
        TimerCallback tick = static _ => { };

        MemoryResult ours;
        using (var scheduler = new HeartbeatScheduler())
        {
            ours = Measure("KeepAlive.Net HeartbeatScheduler.Register", registrations, () => scheduler.Register(options, send));
        }

        var timers = Measure("System.Threading.Timer (periodic)", registrations, () => new Timer(tick, null, Interval, Interval));

        output.WriteLine("| What | Registrations | Retained bytes / registration | Allocated bytes / registration |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var result in new[] { ours, timers })
        {
            output.WriteLine($"| {result.Name} | {result.Count:N0} | {result.RetainedPerItem:N1} | {result.AllocatedPerItem:N1} |");
        }

        output.WriteLine();
        output.WriteLine("Retained: heap growth after a full blocking collection (registrations and the scheduler's structures, not the array holding them). Allocated: everything allocated while registering, garbage included.");
        TargetCheck.Print(output, [TargetCheck.AtMost($"<= 128 bytes per registration at {registrations:N0} registrations (retained)", ours.RetainedPerItem, BytesPerRegistrationLimit, " B")]);
        return ours.Count > 0;
    }

    private static MemoryResult Measure(string name, int count, Func<IDisposable> create)
    {
        var items = new IDisposable[count];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            items[i] = create();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var item in items)
        {
            item.Dispose();
        }

        return new MemoryResult(name, count, (double)(after - before) / count, (double)allocated / count);
    }
}

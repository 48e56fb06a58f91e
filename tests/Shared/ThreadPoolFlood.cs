namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>Starves the thread pool deterministically, even on 2 cores (shared by the test projects as a linked file).</summary>
internal static class ThreadPoolFlood
{
    /// <summary>
    /// Blocks the thread pool for <paramref name="duration"/>: caps it at its minimum size (so hill climbing cannot
    /// inject threads that would let timer callbacks through) and queues <paramref name="workItems"/> items that sleep
    /// until the flood ends. A dedicated thread restores the cap when the flood ends; the caller restores it again at the end.
    /// </summary>
    public static DateTime Start(TimeSpan duration, int workItems, out int maxWorkers, out int maxIo)
    {
        ThreadPool.GetMaxThreads(out maxWorkers, out maxIo);
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        var (restoreWorkers, restoreIo) = (maxWorkers, maxIo);
        ThreadPool.SetMaxThreads(Math.Max(minWorkers, Environment.ProcessorCount), maxIo).Should().BeTrue();
        var end = DateTime.UtcNow + duration;
        for (var i = 0; i < workItems; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static until => SleepUntil(until), end, preferLocal: false);
        }

        new Thread(() =>
        {
            SleepUntil(end);
            ThreadPool.SetMaxThreads(restoreWorkers, restoreIo);
        }) { IsBackground = true, Name = "flood end" }.Start();
        return end;
    }

    private static void SleepUntil(DateTime until)
    {
        var remaining = until - DateTime.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            Thread.Sleep(remaining);
        }
    }
}

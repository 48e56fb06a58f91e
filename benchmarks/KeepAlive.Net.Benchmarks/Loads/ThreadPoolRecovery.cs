using System.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>Waits, after a load has stopped, until the thread pool runs a new work item promptly again.</summary>
internal static class ThreadPoolRecovery
{
    private static readonly TimeSpan Prompt = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);
    private const int PromptInARow = 3;

    /// <summary>Returns how long recovery took; throws when the pool is still starved after a minute.</summary>
    public static TimeSpan WaitUntilResponsive()
    {
        var started = Stopwatch.GetTimestamp();
        var inARow = 0;
        using var ran = new ManualResetEventSlim();
        while (inARow < PromptInARow)
        {
            if (Stopwatch.GetElapsedTime(started) > GiveUpAfter)
            {
                throw new TimeoutException($"The thread pool still has {ThreadPool.PendingWorkItemCount} queued work items {GiveUpAfter.TotalSeconds} s after the load stopped.");
            }

            ran.Reset();
            var queued = Stopwatch.GetTimestamp();
            ThreadPool.UnsafeQueueUserWorkItem(static e => e.Set(), ran, preferLocal: false);
            ran.Wait(GiveUpAfter);
            var prompt = Stopwatch.GetElapsedTime(queued) <= Prompt && ThreadPool.PendingWorkItemCount == 0;
            inARow = prompt ? inARow + 1 : 0;
            Thread.Sleep(prompt ? 1 : 50);
        }

        return Stopwatch.GetElapsedTime(started);
    }
}

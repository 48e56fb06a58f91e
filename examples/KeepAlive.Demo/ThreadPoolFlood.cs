using System.Diagnostics;

namespace KeepAlive.Demo;

/// <summary>
/// Does what the customer's code did: fills the thread pool with work items that block, so every timer
/// continuation queued behind them (System.Threading.Timer, PeriodicTimer, Task.Delay) waits.
/// </summary>
internal static class ThreadPoolFlood
{
    /// <summary>Queues blocking work items that all end when <paramref name="duration"/> has passed.</summary>
    public static void Start(TimeSpan duration, int workItems = 256)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < workItems; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static end =>
                {
                    var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
                    if (left > TimeSpan.Zero)
                    {
                        Thread.Sleep(left);
                    }
                },
                end,
                preferLocal: false);
        }
    }
}

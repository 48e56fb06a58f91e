namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>The heartbeat mechanisms the accuracy harness runs side by side.</summary>
internal enum ContenderKind
{
    Scheduler,
    ThreadingTimer,
    PeriodicTimer,
    TaskDelay,

    /// <summary>One dedicated thread with a priority queue (the cost benchmark's): off the thread pool like ours, so it runs every registration and shows the machine's own stalls beside ours.</summary>
    PriorityQueueThread,
}

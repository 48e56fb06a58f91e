namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>The heartbeat mechanisms the accuracy harness runs side by side.</summary>
internal enum ContenderKind
{
    Scheduler,
    ThreadingTimer,
    PeriodicTimer,
    TaskDelay,
}

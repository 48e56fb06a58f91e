namespace KeepAlive.Net;

/// <summary>Why a heartbeat started late, from the evidence gathered while it was late.</summary>
public enum HeartbeatDelayCause
{
    /// <summary>The heartbeat was not delayed.</summary>
    None = 0,

    /// <summary>
    /// The .NET thread pool was starved: work items were queued and waiting (and the pool was adding threads)
    /// while the heartbeat was due. Look for blocking calls (.Result, .Wait(), Thread.Sleep, synchronous I/O) on pool threads.
    /// </summary>
    ThreadPoolStarvation = 1,

    /// <summary>A garbage collection paused the process for most of the lateness.</summary>
    GcPause = 2,

    /// <summary>The send itself (or the previous send of the same registration) blocked longer than its threshold.</summary>
    SendBlocked = 3,

    /// <summary>More heartbeats were due at once than the scheduler's threads could start in time.</summary>
    SchedulerOverload = 4,

    /// <summary>
    /// The whole process was paused (even dedicated threads did not run, without a GC): a stopped process,
    /// a suspended VM or container, a throttled CPU quota.
    /// </summary>
    ProcessPaused = 5,

    /// <summary>Late, but no evidence points to a cause.</summary>
    Unknown = 6,
}

namespace KeepAlive.Net;

/// <summary>Settings of a <see cref="HeartbeatScheduler"/>'s own threads.</summary>
public sealed class HeartbeatSchedulerOptions
{
    private const int DefaultDispatcherThreadCount = 2;
    private const int DefaultMaxDispatcherThreadCount = 16;
    private const int DefaultOverloadQueueLength = 64;

    /// <summary>Gets or sets how many dedicated threads start heartbeat callbacks.</summary>
    /// <value>The default value is 2. Allowed: 1 to <see cref="MaxDispatcherThreadCount"/>.</value>
    public int DispatcherThreadCount { get; set; } = DefaultDispatcherThreadCount;

    /// <summary>
    /// Gets or sets the most dispatcher threads the scheduler may run, counting replacements for threads stuck in a
    /// blocked callback and the ones added under overload.
    /// </summary>
    /// <value>The default value is 16.</value>
    public int MaxDispatcherThreadCount { get; set; } = DefaultMaxDispatcherThreadCount;

    /// <summary>
    /// Gets or sets how many heartbeats waiting for a dispatcher count as overload: when at least this many wait and the
    /// oldest has waited 10 ms, the timer thread starts one more dispatcher (up to <see cref="MaxDispatcherThreadCount"/>).
    /// </summary>
    /// <value>The default value is 64.</value>
    public int OverloadQueueLength { get; set; } = DefaultOverloadQueueLength;
}

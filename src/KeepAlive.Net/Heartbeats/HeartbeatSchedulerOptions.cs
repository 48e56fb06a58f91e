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
    /// Gets or sets the most dispatcher threads the watchdog may run, counting replacements for threads stuck in a
    /// blocked callback.
    /// </summary>
    /// <value>The default value is 16.</value>
    public int MaxDispatcherThreadCount { get; set; } = DefaultMaxDispatcherThreadCount;

    /// <summary>Gets or sets how many heartbeats waiting for a dispatcher count as scheduler overload when one of them is late.</summary>
    /// <value>The default value is 64.</value>
    public int OverloadQueueLength { get; set; } = DefaultOverloadQueueLength;
}

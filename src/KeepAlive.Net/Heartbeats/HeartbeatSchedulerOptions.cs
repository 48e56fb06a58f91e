namespace KeepAlive.Net;

/// <summary>Settings of a <see cref="HeartbeatScheduler"/>'s own threads.</summary>
public sealed class HeartbeatSchedulerOptions
{
    private const int DefaultDispatcherThreadCount = 1;
    private const int DefaultMaxDispatcherThreadCount = 16;
    private const int DefaultOverloadQueueLength = 64;

    /// <summary>
    /// Gets or sets how many standby threads watch the timer thread, which runs the heartbeat callbacks: when a callback
    /// holds it past its <see cref="HeartbeatOptions.BlockedCallbackThreshold"/>, a standby reports it and takes over, so
    /// the other registrations keep their schedule. Standbys sleep while nothing runs.
    /// </summary>
    /// <value>The default value is 1. Allowed: 1 to <see cref="MaxDispatcherThreadCount"/>.</value>
    public int DispatcherThreadCount { get; set; } = DefaultDispatcherThreadCount;

    /// <summary>
    /// Gets or sets the most standby threads the scheduler may run, counting the ones started while earlier timer
    /// threads are stuck in blocked callbacks.
    /// </summary>
    /// <value>The default value is 16.</value>
    public int MaxDispatcherThreadCount { get; set; } = DefaultMaxDispatcherThreadCount;

    /// <summary>
    /// Gets or sets how many heartbeats of one batch waiting to start count as overload: when at least this many wait and
    /// the batch has run for 10 ms, a standby thread starts them beside the timer thread.
    /// </summary>
    /// <value>The default value is 64.</value>
    public int OverloadQueueLength { get; set; } = DefaultOverloadQueueLength;
}

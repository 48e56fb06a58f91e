namespace KeepAlive.Net;

/// <summary>Settings of a <see cref="HeartbeatScheduler"/>'s own threads: one timer thread runs every callback inline, standby threads cover for it.</summary>
public sealed class HeartbeatSchedulerOptions
{
    private const int DefaultStandbyThreadCount = 1;
    private const int DefaultMaxStandbyThreadCount = 16;
    private const int DefaultTakeoverMilliseconds = 50;

    /// <summary>
    /// Gets or sets how many standby threads cover for the timer thread, which runs the heartbeat callbacks: when a callback
    /// holds it past <see cref="TakeoverThreshold"/> while other heartbeats wait, a standby takes the timer loop over, so the
    /// other registrations keep their schedule; when more heartbeats are due at once than one thread sends within a
    /// millisecond, a standby helps send them. Standbys sleep while nothing runs.
    /// </summary>
    /// <value>The default value is 1. Allowed: 1 to <see cref="MaxStandbyThreadCount"/>.</value>
    public int StandbyThreadCount { get; set; } = DefaultStandbyThreadCount;

    /// <summary>
    /// Gets or sets the most standby threads the scheduler may run, counting the ones started to replace a thread that is
    /// stuck in a callback (it stands by again when its callback returns, or ends if there are enough).
    /// </summary>
    /// <value>The default value is 16.</value>
    public int MaxStandbyThreadCount { get; set; } = DefaultMaxStandbyThreadCount;

    /// <summary>
    /// Gets or sets how long one callback may hold the timer thread before a standby takes the timer loop over (when other
    /// heartbeats are waiting). It is the scheduler's, not a registration's: one registration's
    /// <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> can only make a takeover sooner, never later, so no
    /// registration decides when the others recover. The blocked callback is still reported at its own threshold.
    /// </summary>
    /// <value>The default value is 50 milliseconds. Allowed: 1 millisecond to 1 second.</value>
    public TimeSpan TakeoverThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultTakeoverMilliseconds);
}

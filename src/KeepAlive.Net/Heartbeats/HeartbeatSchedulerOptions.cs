namespace KeepAlive.Net;

/// <summary>Settings of a <see cref="HeartbeatScheduler"/>'s own threads: one timer thread runs every callback inline, standby threads cover for it.</summary>
public sealed class HeartbeatSchedulerOptions
{
    internal const int DefaultStandbyThreadCount = 1;
    internal const int DefaultMaxStandbyThreadCount = 16;
    private const int DefaultTakeoverMilliseconds = 50;

    /// <summary>
    /// Gets or sets how many standby threads cover for the timer thread, which runs the heartbeat callbacks: when a callback
    /// holds it past <see cref="TakeoverThreshold"/> while other heartbeats wait, a standby takes the timer loop over, so the
    /// other registrations keep their schedule; when more heartbeats are due at once than one thread sends within a
    /// millisecond, a standby helps send them. Standbys sleep while nothing runs.
    /// </summary>
    /// <value>The default value is 1. Allowed: 1 to 64, and at most <see cref="MaxStandbyThreadCount"/>.</value>
    [KeepAliveRange(1, 64, Example = "1",
        MinimumReason = "without a standby nobody covers for a callback that holds the timer thread.",
        MaximumReason = "standbys share the machine's cores with the timer thread; more than a few only add threads that wait.")]
    public int StandbyThreadCount { get; set; } = DefaultStandbyThreadCount;

    /// <summary>
    /// Gets or sets the most standby threads the scheduler may run, counting the ones started to replace a thread that is
    /// stuck in a callback (it stands by again when its callback returns, or ends if there are enough).
    /// </summary>
    /// <value>The default value is 16. Allowed: 1 to 256, and at least <see cref="StandbyThreadCount"/>.</value>
    [KeepAliveRange(1, 256, Example = "16",
        MinimumReason = "the standby that takes the loop over needs a thread.",
        MaximumReason = "each replacement is a thread stuck behind a blocked callback; hundreds of them mean callbacks that block, which more threads do not fix.")]
    public int MaxStandbyThreadCount { get; set; } = DefaultMaxStandbyThreadCount;

    /// <summary>
    /// Gets or sets how long one callback may hold the timer thread before a standby takes the timer loop over (when other
    /// heartbeats are waiting). It is the scheduler's, not a registration's: one registration's
    /// <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> can only make a takeover sooner, never later, so no
    /// registration decides when the others recover. The blocked callback is still reported at its own threshold.
    /// </summary>
    /// <value>The default value is 50 milliseconds. Allowed: 1 millisecond to 1 second.</value>
    [KeepAliveRange("1ms", "1s", Example = "50ms",
        MinimumReason = "shorter takes the timer loop away from ordinary callbacks.",
        MaximumReason = "longer leaves every other heartbeat waiting behind a blocked one.")]
    public TimeSpan TakeoverThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultTakeoverMilliseconds);
}

namespace KeepAlive.Net;

/// <summary>
/// When and how one connection sends its application-level heartbeat, when its peer counts as dead,
/// and how late a heartbeat may be before it is reported.
/// </summary>
/// <remarks>
/// With <see cref="PeerIdleTimeout"/> set, lateness is measured against a budget: the margin between
/// <see cref="Interval"/> (plus <see cref="Jitter"/>) and the peer's timeout. Half the margin used logs a
/// warning; a heartbeat that would arrive after the peer's timeout logs an error.
/// </remarks>
public class HeartbeatOptions
{
    private const int DefaultIntervalSeconds = 10;
    private const int DefaultDriftWarningMilliseconds = 1000;
    private const int DefaultBlockedCallbackMilliseconds = 1000;
    private const double DefaultMaxIntervalToPeerIdleRatio = 0.5;

    private TimeSpan _interval = TimeSpan.FromSeconds(DefaultIntervalSeconds);

    /// <summary>Gets or sets when heartbeats are sent.</summary>
    /// <value>The default value is <see cref="HeartbeatMode.WhenIdle"/>.</value>
    public HeartbeatMode Mode { get; set; } = HeartbeatMode.WhenIdle;

    /// <summary>Gets or sets the time between heartbeats (or, in <see cref="HeartbeatMode.WhenIdle"/>, the idle time before one).</summary>
    /// <value>The default value is 10 seconds. Allowed: more than zero, at most one day.</value>
    public TimeSpan Interval
    {
        get => _interval;
        set
        {
            _interval = value;
            IsIntervalSet = true;
        }
    }

    /// <summary>
    /// Gets a value indicating whether <see cref="Interval"/> was assigned (from configuration or code), as opposed to
    /// left at its default of 10 seconds.
    /// </summary>
    /// <value>
    /// <see langword="true"/> once <see cref="Interval"/> has been set, even to 10 seconds. Client libraries that send a
    /// heartbeat of their own (StackExchange.Redis, RabbitMQ.Client, Npgsql, NATS.Net) take <see cref="Interval"/> only when
    /// it is set, so the default never replaces the client's own.
    /// </value>
    public bool IsIntervalSet { get; private set; }

    /// <summary>Gets or sets how long the peer may stay silent (no <see cref="HeartbeatRegistration.MarkPeerActivity"/>) before it is declared dead.</summary>
    /// <value>The default value is <see langword="null"/>: liveness is not checked. When set it must be longer than <see cref="Interval"/>.</value>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Gets or sets the idle timeout of the peer or of a middlebox on the path; enables the lateness budget.</summary>
    /// <value>The default value is <see langword="null"/>: no budget. <see cref="Interval"/> must be at most <see cref="MaxIntervalToPeerIdleRatio"/> of it.</value>
    public PeerIdleTimeout? PeerIdleTimeout { get; set; }

    /// <summary>Gets or sets the lateness from which a heartbeat is reported as delayed (warning log, event, metric).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan DriftWarningThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultDriftWarningMilliseconds);

    /// <summary>Gets or sets the largest random delay added to each due time, to spread many connections.</summary>
    /// <value>The default value is zero. Allowed: zero up to less than <see cref="Interval"/>. Jitter only delays: a heartbeat is never early.</value>
    public TimeSpan Jitter { get; set; }

    /// <summary>Gets or sets how long a send may run before it is reported as blocked (and, when synchronous, moved off the dispatchers' way).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan BlockedCallbackThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultBlockedCallbackMilliseconds);

    /// <summary>Gets or sets the largest allowed ratio of <see cref="Interval"/> to <see cref="PeerIdleTimeout"/>.</summary>
    /// <value>The default value is 0.5, as RabbitMQ does. Allowed: more than 0, less than 1.</value>
    public double MaxIntervalToPeerIdleRatio { get; set; } = DefaultMaxIntervalToPeerIdleRatio;

    /// <summary>Gets or sets a name used in logs and metric tags, for example the peer's name.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; set; }
}

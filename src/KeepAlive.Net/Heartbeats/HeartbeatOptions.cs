namespace KeepAlive.Net;

/// <summary>
/// When and how one connection sends its application-level heartbeat, when its peer counts as dead,
/// and how late a heartbeat may be before it is reported.
/// </summary>
/// <remarks>
/// With <see cref="PeerIdleTimeout"/> set, lateness is measured against a budget (<see cref="LatenessBudget"/>): the margin
/// between <see cref="Interval"/> (plus <see cref="Jitter"/> and <see cref="EffectiveSpread"/>) and the peer's timeout. Half the
/// margin used logs a warning; a heartbeat that would arrive after the peer's timeout logs an error.
/// </remarks>
public class HeartbeatOptions
{
    private const int DefaultIntervalSeconds = 10;
    private const int DefaultDriftWarningMilliseconds = 1000;
    private const int DefaultBlockedCallbackMilliseconds = 1000;
    internal const double DefaultMaxIntervalToPeerIdleRatio = 0.5;

    private TimeSpan _interval = TimeSpan.FromSeconds(DefaultIntervalSeconds);

    /// <summary>Gets or sets when heartbeats are sent.</summary>
    /// <value>The default value is <see cref="HeartbeatMode.WhenIdle"/>.</value>
    public HeartbeatMode Mode { get; set; } = HeartbeatMode.WhenIdle;

    /// <summary>Gets or sets the time between heartbeats (or, in <see cref="HeartbeatMode.WhenIdle"/>, the idle time before one).</summary>
    /// <value>The default value is 10 seconds. Allowed: 1 ms to 1 h.</value>
    [KeepAliveRange("1ms", "1h", Example = "10s",
        MinimumReason = "the scheduler's timers count whole milliseconds, and every heartbeat wakes a thread and sends a packet (an interval of one tick kept a core busy with 56,000 heartbeats in 2s).",
        MaximumReason = "the longest common middlebox idle timeout is GCP Cloud NAT's 20m, so a rarer heartbeat keeps nothing alive.")]
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
    /// <value>The default value is <see langword="null"/>: liveness is not checked. When set it must be longer than <see cref="Interval"/> plus <see cref="Jitter"/> (the longest gap between two heartbeats); 1 ms to 1 day.</value>
    [KeepAliveRange("1ms", "1d", Example = "30s",
        MinimumReason = "the peer must have time to answer at least one heartbeat, so Timeout must also be longer than Interval.",
        MaximumReason = "a peer silent for more than a day is long dead; liveness that slow detects nothing.")]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Gets or sets the idle timeout of the peer or of a middlebox on the path; enables the lateness budget.</summary>
    /// <value>The default value is <see langword="null"/>: no budget. 1 s to 1 day; <see cref="Interval"/> must be at most <see cref="MaxIntervalToPeerIdleRatio"/> of it.</value>
    [KeepAliveRange("1s", "1d", Example = "350s",
        MinimumReason = "no peer or middlebox forgets a flow in under a second, and heartbeats must be a fraction of it.",
        MaximumReason = "no middlebox keeps an idle flow for a day (GCP Cloud NAT, the longest preset, forgets after 20m).")]
    public PeerIdleTimeout? PeerIdleTimeout { get; set; }

    /// <summary>Gets or sets the lateness from which a heartbeat is reported as delayed (warning log, event, metric).</summary>
    /// <value>The default value is 1 second. Allowed: 1 ms to 1 h.</value>
    [KeepAliveRange("1ms", "1h", Example = "1s",
        MinimumReason = "lateness below a millisecond is ordinary scheduling noise; a warning for it would flood the log.",
        MaximumReason = "a heartbeat an hour late has long lost its connection; warn well before that.")]
    public TimeSpan DriftWarningThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultDriftWarningMilliseconds);

    /// <summary>Gets or sets the largest random delay added to each due time, to spread many connections.</summary>
    /// <value>The default value is zero. Allowed: zero up to 1 h, and less than <see cref="Interval"/>. Jitter only delays: a heartbeat is never early.</value>
    [KeepAliveRange("0s", "1h", Example = "100ms",
        MinimumReason = "a negative jitter would fire heartbeats early.",
        MaximumReason = "jitter must stay below the interval, and intervals are at most 1h.")]
    public TimeSpan Jitter { get; set; }

    /// <summary>
    /// Gets or sets the most a heartbeat may be moved later than its nominal time so that registrations made together (a
    /// restart, a reconnect storm: thousands of connections in one second) do not heartbeat in lock-step: the first heartbeat
    /// of each is placed at least two measured heartbeat costs after the previous one of the same options, within this bound.
    /// A registration made while nothing crowds it is not moved. Only ever later, never early; counted in the
    /// <see cref="LatenessBudget"/>. Zero keeps registrations made together aligned.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: half of <see cref="Interval"/>, but no more than half of what
    /// <see cref="PeerIdleTimeout"/> leaves after <see cref="Interval"/> and <see cref="Jitter"/> (<see cref="EffectiveSpread"/>).
    /// Allowed: zero up to 1 h, and less than <see cref="Interval"/>.
    /// </value>
    [KeepAliveRange("0s", "1h", Example = "500ms",
        MinimumReason = "a negative spread would move heartbeats earlier.",
        MaximumReason = "the spread must stay below the interval, and intervals are at most 1h.")]
    public TimeSpan? Spread { get; set; }

    /// <summary>Gets the spread bound in effect: <see cref="Spread"/> when set, otherwise its default (see <see cref="Spread"/>).</summary>
    /// <value>
    /// Without a <see cref="Spread"/>, half of <see cref="Interval"/> when what <see cref="PeerIdleTimeout"/> leaves cannot be
    /// counted: no <see cref="PeerIdleTimeout"/>, or values so far outside their ranges that it overflows (see <see cref="LatenessBudget"/>).
    /// </value>
    public TimeSpan EffectiveSpread
    {
        get
        {
            if (Spread is { } spread)
            {
                return spread;
            }

            var half = Interval / 2;
            return LeftByThePeer is { } left && left / 2 is var room && room < half
                ? (room > TimeSpan.Zero ? room : TimeSpan.Zero)
                : half;
        }
    }

    /// <summary>
    /// Gets how late a heartbeat may start before the peer's idle timeout could expire: <see cref="PeerIdleTimeout"/> minus
    /// <see cref="Interval"/>, <see cref="Jitter"/> and <see cref="EffectiveSpread"/> (the longest a connection can stay silent
    /// before its next heartbeat is due). Half of it used is a warning, all of it an error.
    /// </summary>
    /// <value>
    /// <see langword="null"/> without a <see cref="PeerIdleTimeout"/>. Also <see langword="null"/>, rather than an exception,
    /// when <see cref="PeerIdleTimeout"/>, <see cref="Interval"/>, <see cref="Jitter"/> or <see cref="Spread"/> is so far outside
    /// its range that the difference is more than a <see cref="TimeSpan"/> holds; <see cref="HeartbeatOptionsValidator"/>
    /// refuses any value outside its range with the value, the range and the fix, and a registration refuses with it.
    /// </value>
    public TimeSpan? LatenessBudget => LatenessBudgetWith(EffectiveSpread);

    /// <summary>
    /// What <see cref="PeerIdleTimeout"/> leaves after <see cref="Interval"/> and <see cref="Jitter"/>; <see langword="null"/>
    /// without one, or when the difference is more than a <see cref="TimeSpan"/> holds (values far outside their ranges).
    /// </summary>
    private TimeSpan? LeftByThePeer => PeerIdleTimeout is { } peer ? Minus(peer.Value, Interval, Jitter) : null;

    /// <summary>The lateness budget with <paramref name="spread"/> for the spread (a timer that is not spread: zero).</summary>
    internal TimeSpan? LatenessBudgetWith(TimeSpan spread) => LeftByThePeer is { } left ? Minus(left, spread, TimeSpan.Zero) : null;

    // a - b - c, or null when it is more than a TimeSpan holds. Counted in 128 bits rather than by range lookups: a
    // registration reads it (BeatSettings.KeyOf), and within the declared ranges it never overflows anyway.
    private static TimeSpan? Minus(TimeSpan a, TimeSpan b, TimeSpan c) =>
        (Int128)a.Ticks - b.Ticks - c.Ticks is var ticks && ticks >= long.MinValue && ticks <= long.MaxValue ? TimeSpan.FromTicks((long)ticks) : null;

    /// <summary>Gets or sets how long a send may run before it is reported as blocked (a synchronous callback holding the timer thread is taken over sooner, at the scheduler's <see cref="HeartbeatSchedulerOptions.TakeoverThreshold"/>).</summary>
    /// <value>The default value is 1 second. Allowed: 1 ms to 1 h.</value>
    [KeepAliveRange("1ms", "1h", Example = "1s",
        MinimumReason = "every send takes some microseconds; below a millisecond every send would be reported as blocked.",
        MaximumReason = "a send blocked for an hour has long lost its connection; report it well before that.")]
    public TimeSpan BlockedCallbackThreshold { get; set; } = TimeSpan.FromMilliseconds(DefaultBlockedCallbackMilliseconds);

    /// <summary>Gets or sets the largest allowed ratio of <see cref="Interval"/> to <see cref="PeerIdleTimeout"/>.</summary>
    /// <value>The default value is 0.5, as RabbitMQ does (Kafka uses one third). Allowed: more than 0, less than 1.</value>
    [KeepAliveRange(0, 1, MinimumIsExclusive = true, MaximumIsExclusive = true, Example = "0.5",
        MinimumReason = "a ratio of 0 leaves no room for any interval.",
        MaximumReason = "at a ratio of 1 a heartbeat arrives just as the peer forgets the connection, so any lateness loses it (RabbitMQ uses 0.5, Kafka one third).")]
    public double MaxIntervalToPeerIdleRatio { get; set; } = DefaultMaxIntervalToPeerIdleRatio;

    /// <summary>
    /// Gets the longest interval a heartbeat may have and still beat <see cref="PeerIdleTimeout"/>:
    /// <see cref="MaxIntervalToPeerIdleRatio"/> x <see cref="PeerIdleTimeout"/>. <see cref="Interval"/>, and any keep-alive
    /// interval judged against the peer, must be at most this.
    /// </summary>
    /// <value>
    /// <see langword="null"/> when <see cref="PeerIdleTimeout"/> is not set: no limit. Also <see langword="null"/>, rather than
    /// a limit or an exception, when <see cref="MaxIntervalToPeerIdleRatio"/> is outside its range (more than 0, less than 1:
    /// NaN, infinite, or a product no <see cref="TimeSpan"/> holds), which <see cref="HeartbeatOptionsValidator"/> refuses with
    /// the value, the range and the fix, and a registration refuses with it.
    /// </value>
    public TimeSpan? LongestIntervalForPeer =>
        PeerIdleTimeout is { } peer && InRange(nameof(MaxIntervalToPeerIdleRatio), MaxIntervalToPeerIdleRatio)
            ? peer.Value * MaxIntervalToPeerIdleRatio
            : null;

    /// <summary>
    /// Gets or sets a name used in logs and as the <c>keepalive.heartbeat.name</c> metric tag: name a kind of connection (the
    /// service or profile it talks to), not one connection, since each distinct name is one more time series of every instrument.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; set; }

    /// <summary>Whether <paramref name="value"/> is within the range declared on the property <paramref name="name"/>.</summary>
    private static bool InRange(string name, object value) => OptionRanges<HeartbeatOptions>.Of(name).Check(name, value) is null;
}

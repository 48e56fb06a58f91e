using KeepAlive.Net.Tcp;

namespace KeepAlive.Net;

/// <summary>
/// Operating-system TCP keep-alive settings for one socket: when the kernel sends its first probe
/// on an idle connection, how often it repeats it, and how many unanswered probes end the connection.
/// </summary>
/// <remarks>
/// <para>
/// The defaults are chosen for services behind load balancers and NAT gateways, not taken from the
/// kernel. The kernel waits 7200 s before its first probe, while common middleboxes forget an idle
/// flow much sooner (AWS ALB 60 s, Azure Load Balancer 240 s, AWS NLB and NAT gateway 350 s,
/// GCP Cloud NAT 1200 s) and do so silently, without a reset. An <see cref="IdleTime"/> of 30 s is
/// half of the shortest of those, so a probe refreshes every one of them in time; three probes
/// 10 s apart declare a dead peer 60 s after the connection went quiet.
/// </para>
/// <para>
/// The kernel takes whole seconds on Linux, macOS and Windows 10 1709+: a fraction of a second rounds
/// <em>down</em>, so a probe is never later than asked, and the result says so. Each value's sane range (for example
/// 1 s to 2 h for <see cref="IdleTime"/>) is declared once, on the property, with a <see cref="KeepAliveRangeAttribute"/>.
/// </para>
/// </remarks>
public class TcpKeepAliveOptions
{
    private const bool DefaultEnabled = true;
    private const int DefaultIdleSeconds = 30;
    private const int DefaultIntervalSeconds = 10;
    private const int DefaultProbeCount = 3;
    private const string WholeSeconds = "the kernel counts keep-alive times in whole seconds, so 1s is the earliest it can probe.";

    /// <summary>
    /// The value of <see cref="UserTimeout"/> that keeps the operating system's default
    /// (no bound on unacknowledged data beyond the kernel's retransmission limit).
    /// </summary>
    public static readonly TimeSpan OsDefaultUserTimeout = TimeSpan.Zero;

    private TimeSpan _idleTime = TimeSpan.FromSeconds(DefaultIdleSeconds);
    private TimeSpan _interval = TimeSpan.FromSeconds(DefaultIntervalSeconds);
    private int _probeCount = DefaultProbeCount;
    private TimeSpan? _userTimeout;
    private KeepAliveOption[] _set = [];

    /// <summary>
    /// Gets or sets what happens to a field that is never set: written with the library's default, or left as the
    /// socket has it.
    /// </summary>
    /// <value>
    /// The default value is <see cref="TcpKeepAliveUnsetValues.UseDefaults"/>. With
    /// <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>, only the fields assigned (in code or by configuration binding)
    /// are written; the others keep the socket's current value and their getters still return the library's defaults.
    /// </value>
    public TcpKeepAliveUnsetValues UnsetValues { get; set; }

    /// <summary>Gets or sets a value indicating whether TCP keep-alive (SO_KEEPALIVE) is on.</summary>
    /// <value>
    /// The default value is <see langword="true"/>. <see langword="false"/> turns SO_KEEPALIVE off and leaves the other
    /// keep-alive options as they are (nor are they validated); an explicit <see cref="UserTimeout"/> is still validated and
    /// written, since TCP_USER_TIMEOUT bounds unacknowledged data whether or not probes run.
    /// </value>
    public bool Enabled { get; set; } = DefaultEnabled;

    /// <summary>Gets or sets how long a connection must be idle before the kernel sends the first probe (TCP_KEEPIDLE).</summary>
    /// <value>The default value is 30 seconds. Allowed: 1 s to 2 h (the declared <see cref="KeepAliveRangeAttribute"/>).</value>
    [KeepAliveRange("1s", "2h", Example = "30s",
        MinimumReason = WholeSeconds,
        MaximumReason = "the kernel's own default is 2h, and middleboxes forget idle flows within minutes (AWS ALB 1m, GCP Cloud NAT 20m), so a longer idle time protects nothing.")]
    public TimeSpan IdleTime { get => _idleTime; set => _idleTime = Mark(KeepAliveOption.IdleTime, value); }

    /// <summary>Gets or sets the time between unanswered probes (TCP_KEEPINTVL).</summary>
    /// <value>The default value is 10 seconds. Allowed: 1 s to 1 h.</value>
    [KeepAliveRange("1s", "1h", Example = "10s",
        MinimumReason = WholeSeconds,
        MaximumReason = "each unanswered probe waits one interval, so a dead peer would go unnoticed for hours.")]
    public TimeSpan Interval { get => _interval; set => _interval = Mark(KeepAliveOption.Interval, value); }

    /// <summary>
    /// Gets or sets how many unanswered probes make the kernel drop the connection (TCP_KEEPCNT). On Linux an explicit
    /// <see cref="UserTimeout"/> replaces it: the kernel then resets the connection at the first probe after the user
    /// timeout, whatever the count (the report marks it <see cref="KeepAliveOptionStatus.Overridden"/>).
    /// </summary>
    /// <value>The default value is 3. Allowed: 1 to 127 (and the platform's own limit). Windows before 1709 always uses 10.</value>
    [KeepAliveRange(1, 127, Example = "3",
        MinimumReason = "the kernel declares a peer dead only after unanswered probes, so it needs at least one (Linux refuses 0 with EINVAL).",
        MaximumReason = "Linux's TCP_KEEPCNT stops at 127, and every probe adds an interval before a dead peer is found; 3 to 9 is usual.")]
    public int ProbeCount { get => _probeCount; set => _probeCount = Mark(KeepAliveOption.ProbeCount, value); }

    /// <summary>
    /// Gets or sets the longest time transmitted data may stay unacknowledged before the kernel drops the
    /// connection (TCP_USER_TIMEOUT, Linux only). Keep-alive does nothing while data is in flight; this does.
    /// On Linux it also replaces <see cref="ProbeCount"/> for idle connections.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: derived as slightly below
    /// <see cref="IdleTime"/> + <see cref="Interval"/> × <see cref="ProbeCount"/> (that sum minus half an interval),
    /// as Cloudflare's "When TCP sockets refuse to die" recommends, so a dead idle peer is still found after
    /// <see cref="ProbeCount"/> probes; when that would be above this property's ceiling (1 h), the operating system's
    /// default is kept instead (reported <see cref="KeepAliveOptionStatus.OsDefault"/> with the reason), since a longer
    /// user timeout replaces the kernel's retransmission limit with a later one. An explicit value wins;
    /// <see cref="OsDefaultUserTimeout"/> (zero) keeps the operating system's default. Allowed: 1 s to 1 h, or zero.
    /// With <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>, <see langword="null"/> keeps the socket's value instead.
    /// </value>
    [KeepAliveRange("1s", "1h", Example = "45s", ZeroMeans = "keeps the operating system's default",
        MinimumReason = "a shorter TCP_USER_TIMEOUT aborts healthy connections on the first lost segment (a retransmission waits at least 200ms, often about 1s).",
        MaximumReason = "the kernel's own retransmission limit gives up after about 15m; a longer user timeout only keeps a dead connection around longer.")]
    public TimeSpan? UserTimeout { get => _userTimeout; set => _userTimeout = Mark(KeepAliveOption.UserTimeout, value); }

    /// <summary>Tells whether <c>ConfigureKeepAlive</c> leaves a field as the socket has it.</summary>
    /// <param name="option">The field.</param>
    /// <returns>
    /// <see langword="true"/> with <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/> for a field never assigned, and for a
    /// <see cref="UserTimeout"/> of <see langword="null"/> (there is nothing to derive it from when other fields are kept).
    /// </returns>
    /// <remarks>A client that maps these options onto its own settings (Npgsql's connection string) leaves such a field as it has it.</remarks>
    public bool KeepsCurrent(KeepAliveOption option) =>
        UnsetValues == TcpKeepAliveUnsetValues.KeepCurrent && option switch
        {
            KeepAliveOption.Enabled => false,
            KeepAliveOption.UserTimeout => _userTimeout is null,
            _ => !IsSet(option),
        };

    /// <summary>Tells whether a field was assigned (in code or by configuration binding) rather than left at its default.</summary>
    /// <param name="option">The field.</param>
    /// <returns><see langword="true"/> once the field's setter has run, whatever <see cref="UnsetValues"/> says.</returns>
    internal bool IsSet(KeepAliveOption option) => Array.IndexOf(_set, option) >= 0;

    /// <summary>
    /// Gets the time after which the kernel declares a silent, idle peer dead with these options:
    /// <see cref="IdleTime"/> + <see cref="Interval"/> × <see cref="ProbeCount"/>, or, on Linux with an explicit
    /// <see cref="UserTimeout"/>, the first probe at or after the user timeout (see <see cref="KeepAliveSettings.DeadPeerDetectionTime"/>);
    /// where the platform fixes the probe count (Windows before 1709: 10), with that count; on an operating system with no
    /// known mapping (<see cref="KeepAliveCapabilities.SupportsKeepAliveTimes"/> false, where only SO_KEEPALIVE is written), at the kernel's defaults. With
    /// <see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>, a field left unset counts at the kernel's default (what a socket
    /// nobody configured has, <see cref="KeepAliveCapabilities.DefaultIdleTime"/> and its neighbours), not at the getter's
    /// default, which is never written; a socket configured before keeps its own values instead. Idle time and interval count
    /// as the kernel is given them: a fraction of a second rounded down, as <c>ConfigureKeepAlive</c> writes it; so does
    /// <see cref="UserTimeout"/>, a fraction of a millisecond rounded down.
    /// </summary>
    /// <returns>
    /// The time, or <see cref="TimeSpan.MaxValue"/> when it does not fit or when <see cref="Enabled"/> is
    /// <see langword="false"/>: no probe is sent then, so the kernel never declares an idle peer dead
    /// (<see cref="KeepAliveSettings.DeadPeerDetectionTime"/> is <see langword="null"/> for such a socket).
    /// </returns>
    public TimeSpan GetDeadPeerDetectionTime() => GetDeadPeerDetectionTime(KeepAliveCapabilities.Current);

    /// <summary>The dead-peer time on the platform of <paramref name="capabilities"/>.</summary>
    internal TimeSpan GetDeadPeerDetectionTime(KeepAliveCapabilities capabilities)
    {
        if (!Enabled)
        {
            return TimeSpan.MaxValue;
        }

        // A field that is not written counts at the kernel's default: one kept, or one the platform cannot set (see KeepAlivePlan).
        var timesKept = !capabilities.SupportsKeepAliveTimes;
        return DeadPeerTime.Idle(
            KeepsCurrent(KeepAliveOption.IdleTime) || timesKept ? capabilities.DefaultIdleTime : capabilities.TimeAsWritten(IdleTime),
            KeepsCurrent(KeepAliveOption.Interval) || timesKept ? capabilities.DefaultInterval : capabilities.TimeAsWritten(Interval),
            capabilities.FixedProbeCount ?? (KeepsCurrent(KeepAliveOption.ProbeCount) || !capabilities.SupportsProbeCount ? capabilities.DefaultProbeCount : ProbeCount),
            capabilities.SupportsUserTimeout && UserTimeout is { } userTimeout ? KeepAlivePlan.UserTimeoutAsWritten(userTimeout) : null) ?? TimeSpan.MaxValue;
    }

    private T Mark<T>(KeepAliveOption option, T value)
    {
        if (!IsSet(option))
        {
            _set = [.. _set, option];
        }

        return value;
    }
}

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
/// The kernel takes whole seconds on Linux, macOS and Windows 10 1709+: sub-second values round
/// <em>down</em> (minimum 1 s), so a probe is never later than asked, and the result says so.
/// </para>
/// </remarks>
public class TcpKeepAliveOptions
{
    private const bool DefaultEnabled = true;
    private const int DefaultIdleSeconds = 30;
    private const int DefaultIntervalSeconds = 10;
    private const int DefaultProbeCount = 3;

    /// <summary>
    /// The value of <see cref="UserTimeout"/> that keeps the operating system's default
    /// (no bound on unacknowledged data beyond the kernel's retransmission limit).
    /// </summary>
    public static readonly TimeSpan OsDefaultUserTimeout = TimeSpan.Zero;

    /// <summary>Gets or sets a value indicating whether TCP keep-alive (SO_KEEPALIVE) is on.</summary>
    /// <value>The default value is <see langword="true"/>. <see langword="false"/> turns SO_KEEPALIVE off and leaves the other options as they are.</value>
    public bool Enabled { get; set; } = DefaultEnabled;

    /// <summary>Gets or sets how long a connection must be idle before the kernel sends the first probe (TCP_KEEPIDLE).</summary>
    /// <value>The default value is 30 seconds. Allowed: 1 s to 32767 s.</value>
    public TimeSpan IdleTime { get; set; } = TimeSpan.FromSeconds(DefaultIdleSeconds);

    /// <summary>Gets or sets the time between unanswered probes (TCP_KEEPINTVL).</summary>
    /// <value>The default value is 10 seconds. Allowed: 1 s to 32767 s.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(DefaultIntervalSeconds);

    /// <summary>Gets or sets how many unanswered probes make the kernel drop the connection (TCP_KEEPCNT).</summary>
    /// <value>The default value is 3. Allowed: 1 to 127. Windows before 1709 always uses 10.</value>
    public int ProbeCount { get; set; } = DefaultProbeCount;

    /// <summary>
    /// Gets or sets the longest time transmitted data may stay unacknowledged before the kernel drops the
    /// connection (TCP_USER_TIMEOUT, Linux only). Keep-alive does nothing while data is in flight; this does.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: derived as slightly below
    /// <see cref="IdleTime"/> + <see cref="Interval"/> × <see cref="ProbeCount"/> (that sum minus half an interval),
    /// as Cloudflare's "When TCP sockets refuse to die" recommends. An explicit value wins;
    /// <see cref="OsDefaultUserTimeout"/> (zero) keeps the operating system's default. Allowed: 0 to int.MaxValue ms.
    /// </value>
    public TimeSpan? UserTimeout { get; set; }

    /// <summary>Gets the time after which a silent peer is declared dead: <see cref="IdleTime"/> + <see cref="Interval"/> × <see cref="ProbeCount"/>.</summary>
    /// <returns>The sum, or <see cref="TimeSpan.MaxValue"/> when it does not fit.</returns>
    public TimeSpan GetDeadPeerDetectionTime()
    {
        try
        {
            return checked(IdleTime + (Interval * ProbeCount));
        }
        catch (OverflowException)
        {
            return TimeSpan.MaxValue;
        }
    }
}

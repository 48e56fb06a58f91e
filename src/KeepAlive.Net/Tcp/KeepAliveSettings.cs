using System.Globalization;
using System.Text;
using KeepAlive.Net.Tcp;

namespace KeepAlive.Net;

/// <summary>
/// The keep-alive settings in force on a socket, read back from the kernel, with a report of what was
/// rounded, derived, fixed or unsupported and why. This is what <em>is</em>, not what was asked for.
/// </summary>
public sealed record KeepAliveSettings
{
    /// <summary>Gets the backend that produced these settings.</summary>
    public required KeepAlivePlatform Platform { get; init; }

    /// <summary>Gets a value indicating whether SO_KEEPALIVE is on.</summary>
    public required bool Enabled { get; init; }

    /// <summary>Gets the idle time before the first probe, or <see langword="null"/> when the platform cannot report it.</summary>
    public TimeSpan? IdleTime { get; init; }

    /// <summary>Gets the time between probes, or <see langword="null"/> when the platform cannot report it.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Gets the number of unanswered probes before the connection is dropped, or <see langword="null"/> when unknown.</summary>
    public int? ProbeCount { get; init; }

    /// <summary>
    /// Gets TCP_USER_TIMEOUT: <see cref="TimeSpan.Zero"/> means the operating system's default,
    /// <see langword="null"/> means the platform has no such option.
    /// </summary>
    public TimeSpan? UserTimeout { get; init; }

    /// <summary>
    /// Gets a value indicating whether the values were read back from the kernel. Windows before 1709
    /// cannot report keep-alive values, so there they echo what was set and this is <see langword="false"/>.
    /// </summary>
    public required bool IsReadBackFromKernel { get; init; }

    /// <summary>Gets one report per setting: applied, rounded (and to what), derived, fixed or unsupported (and why).</summary>
    public IReadOnlyList<KeepAliveOptionReport> Options { get; init; } = [];

    /// <summary>
    /// Gets the time after which the kernel declares an idle, silent peer dead, computed as the kernel behaves:
    /// idle + interval × probe count; on Linux with a <see cref="UserTimeout"/> the probe count is not used and the
    /// connection is reset at the first probe at least the user timeout after the last segment received
    /// (idle + interval × max(1, ⌈(user timeout − idle) / interval⌉)). <see langword="null"/> when keep-alive is off or a value is unknown.
    /// </summary>
    public TimeSpan? DeadPeerDetectionTime =>
        Enabled && IdleTime is { } idle && Interval is { } interval && ProbeCount is { } count
            ? DeadPeerTime.Idle(idle, interval, count, UserTimeout)
            : null;

    /// <summary>
    /// Gets the time after which the kernel gives up on a dead peer while sent data is unacknowledged (keep-alive does
    /// not run then): the <see cref="UserTimeout"/> when one is in force, or <see langword="null"/> when none is, in
    /// which case only the kernel's retransmission limit applies (tcp_retries2, about 15 minutes on Linux by default).
    /// </summary>
    public TimeSpan? DeadPeerDetectionTimeWithDataInFlight => UserTimeout is { } timeout && timeout > TimeSpan.Zero ? timeout : null;

    /// <summary>
    /// Gets a value indicating whether any setting was rounded, fixed by the platform, overridden or read back different,
    /// or asked for and unsupported. An option the platform lacks that nobody asked for (TCP_USER_TIMEOUT left unset, to be
    /// derived, on macOS or Windows, or any option of <c>GetKeepAlive</c>) is reported unsupported but is no adjustment.
    /// </summary>
    public bool HasAdjustments => Options.Any(static o => o.Status is KeepAliveOptionStatus.Rounded
        or KeepAliveOptionStatus.FixedByPlatform or KeepAliveOptionStatus.Overridden or KeepAliveOptionStatus.ReadBackDiffers
        || (o.Status == KeepAliveOptionStatus.Unsupported && (o.Requested is not null || o.RequestedTime is not null)));

    /// <summary>Gets the report for one setting.</summary>
    /// <param name="option">The setting.</param>
    /// <returns>The report, or <see langword="null"/> when none was produced.</returns>
    public KeepAliveOptionReport? GetReport(KeepAliveOption option) => Options.FirstOrDefault(o => o.Option == option);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Platform}: keep-alive {(Enabled ? "on" : "off")}");
        text.Append(CultureInfo.InvariantCulture, $", idle {Describe(IdleTime)}, interval {Describe(Interval)}");
        text.Append(CultureInfo.InvariantCulture, $", probes {(ProbeCount?.ToString(CultureInfo.InvariantCulture) ?? "unknown")}");
        text.Append(CultureInfo.InvariantCulture, $", user timeout {(UserTimeout is null ? "unsupported" : UserTimeout == TimeSpan.Zero ? "OS default" : Describe(UserTimeout))}");
        if (DeadPeerDetectionTime is { } dead)
        {
            text.Append(CultureInfo.InvariantCulture, $", dead idle peer found after {Describe(dead)}");
        }

        text.Append(IsReadBackFromKernel ? " (read back from the kernel)" : " (as set; this platform cannot read them back)");
        return text.ToString();
    }

    private static string Describe(TimeSpan? value) => value is { } v ? KeepAliveDuration.Format(v) : "unknown";
}

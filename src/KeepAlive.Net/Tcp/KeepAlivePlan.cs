using System.Globalization;

namespace KeepAlive.Net.Tcp;

/// <summary>
/// Validated options turned into what one platform will be given: values rounded to its resolution
/// (never up, except to its minimum), the user timeout derived where unset, and why each differs.
/// </summary>
internal sealed class KeepAlivePlan
{
    private KeepAlivePlan(KeepAliveCapabilities capabilities, bool enabled) => (Capabilities, Enabled) = (capabilities, enabled);

    public KeepAliveCapabilities Capabilities { get; }

    public bool Enabled { get; }

    public PlannedValue Idle { get; private init; }

    public PlannedValue Interval { get; private init; }

    public PlannedValue ProbeCount { get; private init; }

    /// <summary>The user timeout in milliseconds; <see cref="PlannedValue.Apply"/> is false when it is not written.</summary>
    public PlannedValue UserTimeout { get; private init; }

    public static KeepAlivePlan Create(TcpKeepAliveOptions options, KeepAliveCapabilities capabilities)
    {
        if (!options.Enabled)
        {
            // An explicit user timeout is still written: TCP_USER_TIMEOUT bounds unacknowledged data, probes or not.
            TcpKeepAliveValidator.ThrowIfInvalid(options, capabilities);
            var untouched = new PlannedValue(false, null, 0, KeepAliveOptionStatus.NotChanged, "Keep-alive is disabled; only SO_KEEPALIVE was switched off.");
            var userTimeout = options.UserTimeout is { } explicitTimeout ? PlanUserTimeout(explicitTimeout, capabilities, untouched, untouched, untouched) : untouched;
            return new KeepAlivePlan(capabilities, false)
            {
                Idle = options.IsSet(KeepAliveOption.IdleTime) ? NotAppliedWhileDisabled(KeepAliveOption.IdleTime, options.IdleTime) : untouched,
                Interval = options.IsSet(KeepAliveOption.Interval) ? NotAppliedWhileDisabled(KeepAliveOption.Interval, options.Interval) : untouched,
                ProbeCount = options.IsSet(KeepAliveOption.ProbeCount) ? NotAppliedWhileDisabled(KeepAliveOption.ProbeCount, options.ProbeCount) : untouched,
                UserTimeout = userTimeout,
            };
        }

        TcpKeepAliveValidator.ThrowIfInvalid(options, capabilities);
        var idle = options.KeepsCurrent(KeepAliveOption.IdleTime) ? PlannedValue.KeepCurrent
            : capabilities.SupportsKeepAliveTimes ? RoundTime(options.IdleTime, capabilities) : Unsupported(options.IdleTime);
        var interval = options.KeepsCurrent(KeepAliveOption.Interval) ? PlannedValue.KeepCurrent
            : capabilities.SupportsKeepAliveTimes ? RoundTime(options.Interval, capabilities) : Unsupported(options.Interval);
        var probeCount = options.KeepsCurrent(KeepAliveOption.ProbeCount) ? PlannedValue.KeepCurrent : PlanProbeCount(options.ProbeCount, capabilities);
        return new KeepAlivePlan(capabilities, true)
        {
            Idle = idle,
            Interval = interval,
            ProbeCount = probeCount,
            UserTimeout = options.KeepsCurrent(KeepAliveOption.UserTimeout) && capabilities.SupportsUserTimeout
                ? PlannedValue.KeepCurrent
                : PlanUserTimeout(options.UserTimeout, capabilities, idle, interval, probeCount),
        };
    }

    // A value asked for while keep-alive is off: kept in the report as requested, never written, and the fix said.
    private static PlannedValue NotAppliedWhileDisabled(KeepAliveOption option, TimeSpan requested) =>
        NotAppliedWhileDisabled(option, (long)requested.TotalMilliseconds, requested);

    private static PlannedValue NotAppliedWhileDisabled(KeepAliveOption option, long requested, TimeSpan? requestedTime = null) =>
        new(false, requested, 0, KeepAliveOptionStatus.NotChanged,
            $"Not applied: keep-alive is disabled (Enabled = false), so only SO_KEEPALIVE was switched off. Fix: enable keep-alive, or remove {option}.", requestedTime);

    private static PlannedValue Unsupported(TimeSpan requested) =>
        new(false, (long)requested.TotalMilliseconds, 0, KeepAliveOptionStatus.Unsupported,
            "This operating system has no known mapping for the option; the kernel's value stays.", requested);

    private static PlannedValue RoundTime(TimeSpan requested, KeepAliveCapabilities capabilities)
    {
        var step = capabilities.TimeResolution;
        var rounded = capabilities.TimeAsWritten(requested);
        var requestedMs = (long)requested.TotalMilliseconds;
        if (rounded > requested)
        {
            return new PlannedValue(true, requestedMs, (long)step.TotalMilliseconds, KeepAliveOptionStatus.Rounded, string.Create(CultureInfo.InvariantCulture,
                $"{KeepAliveDuration.Format(requested)} is below {capabilities.Platform}'s minimum; raised to {KeepAliveDuration.Format(step)}, the earliest the kernel can probe."), requested);
        }

        if (rounded != requested)
        {
            return new PlannedValue(true, requestedMs, (long)rounded.TotalMilliseconds, KeepAliveOptionStatus.Rounded,
                RoundedDown($"{capabilities.Platform} takes whole {(step == TimeSpan.FromSeconds(1) ? "seconds" : "milliseconds")}", requested, rounded, "no probe is later than asked"), requested);
        }

        return new PlannedValue(true, requestedMs, requestedMs, KeepAliveOptionStatus.Applied, null, requested);
    }

    private static PlannedValue PlanProbeCount(int requested, KeepAliveCapabilities capabilities)
    {
        if (capabilities.SupportsProbeCount)
        {
            return new PlannedValue(true, requested, requested, KeepAliveOptionStatus.Applied, null);
        }

        return capabilities.FixedProbeCount is { } fixedCount
            ? new PlannedValue(false, requested, fixedCount, requested == fixedCount ? KeepAliveOptionStatus.Applied : KeepAliveOptionStatus.FixedByPlatform,
                requested == fixedCount ? null : string.Create(CultureInfo.InvariantCulture,
                    $"{capabilities.Platform} always sends {fixedCount} probes: TCP_KEEPCNT does not exist before Windows 10 1703 (setting it fails with WSAENOPROTOOPT 10042). Detection takes idle + interval x {fixedCount}."))
            : new PlannedValue(false, requested, 0, KeepAliveOptionStatus.Unsupported, "This operating system has no known TCP_KEEPCNT mapping; the kernel's value stays.");
    }

    // Where there is no TCP_USER_TIMEOUT, what ends a connection whose data goes unacknowledged (Linux's 15 minutes, tcp_retries2, never shows here).
    internal static string RetransmissionLimit(KeepAlivePlatform platform) => platform is KeepAlivePlatform.Windows or KeepAlivePlatform.WindowsLegacy
        ? "Windows's retransmission limit (TcpMaxDataRetransmissions, 5 retransmissions by default, usually well under a minute; TCP_MAXRT, which this library does not set, is Windows's nearest equivalent of a user timeout)"
        : "the kernel's retransmission limit (its maximum number of retransmissions, backing off up to about a minute apart: several minutes)";

    /// <summary>
    /// A user timeout as TCP_USER_TIMEOUT is given it: whole milliseconds, a fraction rounded down but never to zero, which
    /// would mean the operating system's default; zero (that default) and below stay as they are.
    /// </summary>
    internal static TimeSpan UserTimeoutAsWritten(TimeSpan requested) =>
        requested <= TimeSpan.Zero ? requested : TimeSpan.FromMilliseconds(Math.Max(1, (long)requested.TotalMilliseconds));

    private static PlannedValue PlanUserTimeout(TimeSpan? requested, KeepAliveCapabilities capabilities, PlannedValue idle, PlannedValue interval, PlannedValue probeCount)
    {
        long? requestedMs = requested is { } r ? (long)r.TotalMilliseconds : null;
        if (!capabilities.SupportsUserTimeout)
        {
            return requested == TimeSpan.Zero
                ? new PlannedValue(false, 0, 0, KeepAliveOptionStatus.OsDefault, null)
                : new PlannedValue(false, requestedMs, 0, KeepAliveOptionStatus.Unsupported, string.Create(CultureInfo.InvariantCulture,
                    $"{capabilities.Platform} has no TCP_USER_TIMEOUT: unacknowledged data to a dead peer is bounded only by {RetransmissionLimit(capabilities.Platform)}."), requested);
        }

        if (requested is null)
        {
            // The probe count the kernel will use: the requested one, or the platform's fixed one.
            var total = idle.Value + (interval.Value * probeCount.Value);
            var derived = Math.Min(int.MaxValue, total - (interval.Value / 2));
            var range = OptionRanges<TcpKeepAliveOptions>.Of(nameof(TcpKeepAliveOptions.UserTimeout));
            if (range.Check(nameof(TcpKeepAliveOptions.UserTimeout), TimeSpan.FromMilliseconds(derived)) is not null)
            {
                // Past the ceiling a user timeout replaces the kernel's retransmission limit (tcp_retries2) with a longer
                // one: data in flight to a dead peer would fail later than with no user timeout at all.
                return new PlannedValue(true, null, 0, KeepAliveOptionStatus.OsDefault, string.Create(CultureInfo.InvariantCulture,
                    $"Not set, and deriving it (idle + interval x probes, {KeepAliveDuration.Format(TimeSpan.FromMilliseconds(total))}, minus half an interval) would give {KeepAliveDuration.Format(TimeSpan.FromMilliseconds(derived))}, above UserTimeout's ceiling of {range.Maximum}: {range.MaximumReason} So TCP_USER_TIMEOUT keeps the operating system's default (0): the probe count ends a silent idle connection, the retransmission limit one with data in flight."));
            }

            return new PlannedValue(true, null, derived, KeepAliveOptionStatus.Derived, string.Create(CultureInfo.InvariantCulture,
                $"Not set, so derived slightly below idle + interval x probes ({KeepAliveDuration.Format(TimeSpan.FromMilliseconds(total))}), minus half an interval: data in flight to a dead peer fails about as fast as a silent idle connection."));
        }

        if (requested == TimeSpan.Zero)
        {
            return new PlannedValue(true, 0, 0, KeepAliveOptionStatus.OsDefault, null);
        }

        var written = UserTimeoutAsWritten(requested!.Value);
        var ms = (long)written.TotalMilliseconds;
        var exact = written == requested;
        return new PlannedValue(true, requestedMs, ms, exact ? KeepAliveOptionStatus.Applied : KeepAliveOptionStatus.Rounded,
            exact ? null : RoundedDown("TCP_USER_TIMEOUT takes whole milliseconds", requested.Value, written, "data in flight is not waited on longer than asked"), requested);
    }

    // A value the kernel takes only in whole steps, rounded down: worded once for every option.
    private static string RoundedDown(string takes, TimeSpan requested, TimeSpan rounded, string so) =>
        $"{takes}: {KeepAliveDuration.Format(requested)} rounded down to {KeepAliveDuration.Format(rounded)}, so {so}.";
}

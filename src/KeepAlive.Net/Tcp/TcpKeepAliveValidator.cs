using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Checks <see cref="TcpKeepAliveOptions"/> against a platform's limits without touching any socket,
/// so that a bad value never reaches the kernel (where Linux answers EINVAL and .NET may mark a
/// connected socket as disconnected, dotnet/runtime#59055).
/// </summary>
public static class TcpKeepAliveValidator
{
    /// <summary>Validates options for the platform this process runs on.</summary>
    /// <param name="options">The options.</param>
    /// <returns>Every error found; empty when the options can be applied.</returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(TcpKeepAliveOptions options) =>
        Validate(options, KeepAliveCapabilities.Current);

    /// <summary>Validates options for a given platform.</summary>
    /// <param name="options">The options.</param>
    /// <param name="capabilities">The platform's limits.</param>
    /// <returns>
    /// Every error found; empty when the options can be applied. Each value is checked first against its sane range
    /// (the <see cref="KeepAliveRangeAttribute"/> on its property), then against the platform's own limits.
    /// </returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(TcpKeepAliveOptions options, KeepAliveCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(capabilities);
        List<KeepAliveValidationError>? errors = null;
        if (!options.Enabled)
        {
            // Only SO_KEEPALIVE (off) and an explicit UserTimeout are written: values that are not applied are not validated.
            OptionRanges<TcpKeepAliveOptions>.Check(options, static name => name == nameof(TcpKeepAliveOptions.UserTimeout), ref errors);
            return (IReadOnlyList<KeepAliveValidationError>?)errors ?? [];
        }

        if (!Enum.IsDefined(options.UnsetValues))
        {
            // KeepsCurrent reads anything but KeepCurrent as UseDefaults: a cast number would silently mean that.
            Add(ref errors, nameof(TcpKeepAliveOptions.UnsetValues), string.Create(CultureInfo.InvariantCulture,
                $"UnsetValues is {(int)options.UnsetValues}, which is not a TcpKeepAliveUnsetValues. Fix: use UseDefaults or KeepCurrent."));
        }

        var refused = OptionRanges<TcpKeepAliveOptions>.Check(options, name => Enum.TryParse<KeepAliveOption>(name, out var option) && !options.KeepsCurrent(option), ref errors);
        var keepIdle = options.KeepsCurrent(KeepAliveOption.IdleTime);
        var keepInterval = options.KeepsCurrent(KeepAliveOption.Interval);
        if (!keepIdle && !refused.Contains(nameof(TcpKeepAliveOptions.IdleTime)))
        {
            CheckPlatformTime(ref errors, nameof(TcpKeepAliveOptions.IdleTime), options.IdleTime, capabilities.MaxIdleTime, capabilities, "TCP_KEEPIDLE");
        }

        if (!keepInterval && !refused.Contains(nameof(TcpKeepAliveOptions.Interval)))
        {
            CheckPlatformTime(ref errors, nameof(TcpKeepAliveOptions.Interval), options.Interval, capabilities.MaxInterval, capabilities, "TCP_KEEPINTVL");
        }

        if (keepIdle != keepInterval && capabilities.Platform == KeepAlivePlatform.WindowsLegacy)
        {
            Add(ref errors, keepIdle ? nameof(TcpKeepAliveOptions.IdleTime) : nameof(TcpKeepAliveOptions.Interval),
                "Windows before 10 1709 writes IdleTime and Interval together (SIO_KEEPALIVE_VALS) and cannot read either back, so one cannot be kept while the other changes. Fix: set both, or neither, with UnsetValues = KeepCurrent.");
        }

        if (!options.KeepsCurrent(KeepAliveOption.ProbeCount) && !refused.Contains(nameof(TcpKeepAliveOptions.ProbeCount)) && options.ProbeCount > capabilities.MaxProbeCount)
        {
            Add(ref errors, nameof(TcpKeepAliveOptions.ProbeCount), capabilities is { SupportsProbeCount: false, FixedProbeCount: { } fixedCount }
                ? string.Create(CultureInfo.InvariantCulture,
                    $"ProbeCount is {options.ProbeCount}, but {capabilities.Platform} always sends {fixedCount} probes: the count cannot be set there (no TCP_KEEPCNT), so a dead peer is declared after {fixedCount}, not {options.ProbeCount}. Fix: set ProbeCount to {fixedCount}, the count it sends.")
                : string.Create(CultureInfo.InvariantCulture,
                    $"ProbeCount is {options.ProbeCount}, but {capabilities.Platform} accepts 1 to {capabilities.MaxProbeCount} probes (TCP_KEEPCNT). Fix: set ProbeCount between 1 and {capabilities.MaxProbeCount}, for example 3."));
        }

        return (IReadOnlyList<KeepAliveValidationError>?)errors ?? [];
    }

    /// <summary>Throws when options cannot be applied on a platform; the message lists every error.</summary>
    /// <param name="options">The options.</param>
    /// <param name="capabilities">The platform's limits.</param>
    /// <exception cref="ArgumentOutOfRangeException">At least one value is outside the platform's limits.</exception>
    internal static void ThrowIfInvalid(TcpKeepAliveOptions options, KeepAliveCapabilities capabilities)
    {
        var errors = Validate(options, capabilities);
        if (errors.Count > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Invalid TCP keep-alive options; nothing was applied to the socket. "
                + string.Join(" ", errors.Select(static e => e.Message)));
        }
    }

    // A platform whose limit is below the sane range (possible with capabilities made up in code) refuses what it cannot take.
    private static void CheckPlatformTime(ref List<KeepAliveValidationError>? errors, string name, TimeSpan value, TimeSpan max, KeepAliveCapabilities capabilities, string nativeName)
    {
        var step = capabilities.TimeResolution;
        if (value.Ticks / step.Ticks * step.Ticks > max.Ticks)
        {
            Add(ref errors, name, string.Create(CultureInfo.InvariantCulture,
                $"{name} {KeepAliveDuration.Format(value)} is over {capabilities.Platform}'s limit of {KeepAliveDuration.Format(max)} ({nativeName}). Fix: set it to at most \"{KeepAliveDuration.Format(max)}\"."));
        }
    }

    private static void Add(ref List<KeepAliveValidationError>? errors, string name, string message) =>
        (errors ??= []).Add(new KeepAliveValidationError(name, message));
}

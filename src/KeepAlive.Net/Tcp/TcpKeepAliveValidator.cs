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
    /// <returns>Every error found; empty when the options can be applied.</returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(TcpKeepAliveOptions options, KeepAliveCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(capabilities);
        if (!options.Enabled)
        {
            return [];
        }

        List<KeepAliveValidationError>? errors = null;
        var keepIdle = options.KeepsCurrent(KeepAliveOption.IdleTime);
        var keepInterval = options.KeepsCurrent(KeepAliveOption.Interval);
        if (!keepIdle)
        {
            CheckTime(ref errors, nameof(TcpKeepAliveOptions.IdleTime), options.IdleTime, capabilities.MaxIdleTime, capabilities, "TCP_KEEPIDLE", "00:00:30");
        }

        if (!keepInterval)
        {
            CheckTime(ref errors, nameof(TcpKeepAliveOptions.Interval), options.Interval, capabilities.MaxInterval, capabilities, "TCP_KEEPINTVL", "00:00:10");
        }

        if (keepIdle != keepInterval && capabilities.Platform == KeepAlivePlatform.WindowsLegacy)
        {
            Add(ref errors, keepIdle ? nameof(TcpKeepAliveOptions.IdleTime) : nameof(TcpKeepAliveOptions.Interval),
                "Windows before 10 1709 writes IdleTime and Interval together (SIO_KEEPALIVE_VALS) and cannot read either back, so one cannot be kept while the other changes. Fix: set both, or neither, with UnsetValues = KeepCurrent.");
        }

        if (!options.KeepsCurrent(KeepAliveOption.ProbeCount) && (options.ProbeCount < 1 || options.ProbeCount > capabilities.MaxProbeCount))
        {
            Add(ref errors, nameof(TcpKeepAliveOptions.ProbeCount), string.Create(CultureInfo.InvariantCulture,
                $"ProbeCount is {options.ProbeCount}, but {capabilities.Platform} accepts 1 to {capabilities.MaxProbeCount} probes (TCP_KEEPCNT). Fix: set ProbeCount between 1 and {capabilities.MaxProbeCount}, for example 3."));
        }

        if (options.UserTimeout is { } userTimeout)
        {
            if (userTimeout < TimeSpan.Zero)
            {
                Add(ref errors, nameof(TcpKeepAliveOptions.UserTimeout), string.Create(CultureInfo.InvariantCulture,
                    $"UserTimeout is {userTimeout:c}, a negative time. TCP_USER_TIMEOUT takes 0 to {int.MaxValue} ms. Fix: leave UserTimeout unset to derive it from the other settings, set 00:00:00 to keep the OS default, or give a positive time."));
            }
            else if (userTimeout.TotalMilliseconds > int.MaxValue)
            {
                Add(ref errors, nameof(TcpKeepAliveOptions.UserTimeout), string.Create(CultureInfo.InvariantCulture,
                    $"UserTimeout is {userTimeout:c}, over the largest TCP_USER_TIMEOUT of {int.MaxValue} ms ({TimeSpan.FromMilliseconds(int.MaxValue):c}). Fix: use a smaller value, or leave UserTimeout unset to derive it."));
            }
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

    private static void CheckTime(ref List<KeepAliveValidationError>? errors, string name, TimeSpan value, TimeSpan max, KeepAliveCapabilities capabilities, string nativeName, string example)
    {
        var min = capabilities.TimeResolution;
        if (value <= TimeSpan.Zero)
        {
            Add(ref errors, name, string.Create(CultureInfo.InvariantCulture,
                $"{name} is {value:c}, but it must be positive: {capabilities.Platform} accepts {KeepAliveFormat.Duration(min)} to {KeepAliveFormat.Duration(max)} ({nativeName}). Fix: set {name} to a positive time such as {example}."));
        }
        else if (value.Ticks / min.Ticks * min.Ticks > max.Ticks)
        {
            Add(ref errors, name, string.Create(CultureInfo.InvariantCulture,
                $"{name} is {value:c}, over {capabilities.Platform}'s limit of {KeepAliveFormat.Duration(max)} ({nativeName}). Fix: set {name} to at most {max:c}; keep-alive exists to beat idle timeouts, which are minutes, not hours."));
        }
    }

    private static void Add(ref List<KeepAliveValidationError>? errors, string name, string message) =>
        (errors ??= []).Add(new KeepAliveValidationError(name, message));
}

using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Checks <see cref="HeartbeatOptions"/> before a registration starts, so that a heartbeat that cannot
/// beat the peer's idle timeout is rejected at start-up instead of dropping connections in production.
/// </summary>
public static class HeartbeatOptionsValidator
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>Validates options.</summary>
    /// <param name="options">The options.</param>
    /// <returns>Every error found, each naming the option, its value, the limit and the fix; empty when valid.</returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(HeartbeatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<KeepAliveValidationError>? errors = null;
        var interval = options.Interval;

        if (!Enum.IsDefined(options.Mode))
        {
            Add(ref errors, nameof(HeartbeatOptions.Mode), $"Mode is {(int)options.Mode}, which is not a HeartbeatMode. Fix: use WhenIdle or FixedRate.");
        }

        if (interval <= TimeSpan.Zero)
        {
            Add(ref errors, nameof(HeartbeatOptions.Interval), $"Interval is {interval:c}, but it must be positive. Fix: set Interval to a positive time such as 00:00:10.");
        }
        else if (interval > MaxInterval)
        {
            Add(ref errors, nameof(HeartbeatOptions.Interval), $"Interval is {interval:c}, over the limit of {MaxInterval:c}. Fix: set Interval to at most {MaxInterval:c}; heartbeats exist to beat idle timeouts, which are minutes.");
        }

        if (options.Timeout is { } timeout && timeout <= interval)
        {
            Add(ref errors, nameof(HeartbeatOptions.Timeout), timeout <= TimeSpan.Zero
                ? (FormattableString)$"Timeout is {timeout:c}, but it must be positive and longer than Interval ({interval:c}). Fix: set Timeout to about 3 x Interval ({Times(interval, 3):c}), or leave it unset to turn liveness off."
                : $"Timeout is {timeout:c}, not longer than Interval ({interval:c}): the peer would be declared dead before it could answer one heartbeat. Fix: set Timeout above {interval:c}, for example 3 x Interval = {Times(interval, 3):c}.");
        }

        var ratio = options.MaxIntervalToPeerIdleRatio;
        var ratioValid = ratio > 0 && ratio < 1;
        if (!ratioValid)
        {
            Add(ref errors, nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio), $"MaxIntervalToPeerIdleRatio is {ratio}, but it must be more than 0 and less than 1. Fix: keep the default 0.5 (RabbitMQ), or 0.33 (Kafka).");
        }

        if (options.PeerIdleTimeout is { } peer)
        {
            if (peer.Value <= TimeSpan.Zero)
            {
                Add(ref errors, nameof(HeartbeatOptions.PeerIdleTimeout), $"PeerIdleTimeout is {peer.Value:c}, but it must be positive. Fix: set the peer's or middlebox's idle timeout, for example AwsNlb (350 s), or leave it unset.");
            }
            else if (ratioValid && interval > TimeSpan.Zero && interval > Times(peer.Value, ratio))
            {
                var limit = Times(peer.Value, ratio);
                Add(ref errors, nameof(HeartbeatOptions.Interval), $"Interval is {interval:c}, over the limit of {limit:c} = MaxIntervalToPeerIdleRatio {ratio} x PeerIdleTimeout {peer}: one late heartbeat would let the peer drop the connection. Fix: set Interval to at most {limit:c}.");
            }
        }

        if (options.Jitter < TimeSpan.Zero || (interval > TimeSpan.Zero && options.Jitter >= interval))
        {
            Add(ref errors, nameof(HeartbeatOptions.Jitter), $"Jitter is {options.Jitter:c}, but it must be at least zero and less than Interval ({interval:c}). Fix: set Jitter to a small part of Interval, for example {interval / 10:c}, or zero.");
        }

        CheckPositive(ref errors, nameof(HeartbeatOptions.DriftWarningThreshold), options.DriftWarningThreshold, "00:00:01");
        CheckPositive(ref errors, nameof(HeartbeatOptions.BlockedCallbackThreshold), options.BlockedCallbackThreshold, "00:00:01");
        return (IReadOnlyList<KeepAliveValidationError>?)errors ?? [];
    }

    /// <summary>Throws when options are invalid; the message lists every error.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">At least one value is invalid.</exception>
    internal static void ThrowIfInvalid(HeartbeatOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid heartbeat options; nothing was registered. " + string.Join(" ", errors.Select(static e => e.Message)), nameof(options));
        }
    }

    private static TimeSpan Times(TimeSpan value, double factor) => TimeSpan.FromTicks((long)(value.Ticks * factor));

    private static void CheckPositive(ref List<KeepAliveValidationError>? errors, string name, TimeSpan value, string example)
    {
        if (value <= TimeSpan.Zero)
        {
            Add(ref errors, name, $"{name} is {value:c}, but it must be positive. Fix: set {name} to a positive time such as {example}.");
        }
    }

    private static void Add(ref List<KeepAliveValidationError>? errors, string name, FormattableString message) =>
        (errors ??= []).Add(new KeepAliveValidationError(name, message.ToString(CultureInfo.InvariantCulture)));
}

using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Checks <see cref="HeartbeatOptions"/> before a registration starts, so that a heartbeat that cannot
/// beat the peer's idle timeout is rejected at start-up instead of dropping connections in production, and a scheduler's
/// <see cref="HeartbeatSchedulerOptions"/> before its threads start.
/// </summary>
public static class HeartbeatOptionsValidator
{
    /// <summary>Validates options.</summary>
    /// <param name="options">The options.</param>
    /// <returns>
    /// Every error found, each naming the option, its value, the limit and the fix; empty when valid. Each value is
    /// checked against its range (the <see cref="KeepAliveRangeAttribute"/> on its property), then the rules between
    /// values whose own values are in range.
    /// </returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(HeartbeatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<KeepAliveValidationError>? errors = null;
        var refused = OptionRanges<HeartbeatOptions>.Check(options, applies: null, ref errors);
        bool InRange(string name) => !refused.Contains(name);
        var interval = options.Interval;
        // An interval nobody set is the default: said so, or "Interval (10s)" reads as a value the profile holds.
        const string NotSet = "the default: Interval is not set";
        var shown = options.IsIntervalSet ? KeepAliveDuration.Format(interval) : $"{KeepAliveDuration.Format(interval)}, {NotSet}";

        if (!Enum.IsDefined(options.Mode))
        {
            Add(ref errors, nameof(HeartbeatOptions.Mode), $"Mode is {(int)options.Mode}, which is not a HeartbeatMode. Fix: use WhenIdle or FixedRate.");
        }

        var intervalInRange = InRange(nameof(HeartbeatOptions.Interval));
        var jitter = InRange(nameof(HeartbeatOptions.Jitter)) ? options.Jitter : TimeSpan.Zero;
        if (options.Timeout is { } timeout && intervalInRange && InRange(nameof(HeartbeatOptions.Timeout)) && timeout <= interval + jitter)
        {
            // A heartbeat comes up to Interval + Jitter after the previous one: the peer can answer only after that.
            var gap = jitter > TimeSpan.Zero
                ? $"Interval + Jitter ({KeepAliveDuration.Format(interval)} + {KeepAliveDuration.Format(jitter)} = {KeepAliveDuration.Format(interval + jitter)}, the longest gap between two heartbeats)"
                : $"Interval ({shown})";
            Add(ref errors, nameof(HeartbeatOptions.Timeout), $"Timeout is {KeepAliveDuration.Format(timeout)}, not longer than {gap}: the peer would be declared dead before it could answer one heartbeat. Fix: set Timeout above {KeepAliveDuration.Format(interval + jitter)}, for example 3 x Interval = {KeepAliveDuration.Format(Times(interval, 3))}.");
        }

        if (options.PeerIdleTimeout is { } peer && intervalInRange && InRange(nameof(HeartbeatOptions.PeerIdleTimeout))
            && InRange(nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio)) && options.LongestIntervalForPeer is { } limit && interval > limit)
        {
            var over = $"Interval is {KeepAliveDuration.Format(interval)}{(options.IsIntervalSet ? string.Empty : $" ({NotSet})")}, over the limit of {KeepAliveDuration.Format(limit)} = MaxIntervalToPeerIdleRatio {options.MaxIntervalToPeerIdleRatio} x PeerIdleTimeout {peer}: one late heartbeat would let the peer drop the connection.";
            var intervalRange = OptionRanges<HeartbeatOptions>.Of(nameof(HeartbeatOptions.Interval));
            if (intervalRange.Check(nameof(HeartbeatOptions.Interval), limit) is null)
            {
                Add(ref errors, nameof(HeartbeatOptions.Interval), $"{over} Fix: set Interval to at most {KeepAliveDuration.Format(limit)}.");
            }
            else
            {
                // No interval fits under the limit: the ratio (or the peer's timeout) is what cannot be met.
                Add(ref errors, nameof(HeartbeatOptions.MaxIntervalToPeerIdleRatio), $"{over} The limit is below Interval's floor of {intervalRange.Minimum}, so no Interval fits under it. Fix: raise MaxIntervalToPeerIdleRatio (the default is {HeartbeatOptions.DefaultMaxIntervalToPeerIdleRatio}), or PeerIdleTimeout.");
            }
        }

        if (intervalInRange && InRange(nameof(HeartbeatOptions.Jitter)) && options.Jitter >= interval)
        {
            Add(ref errors, nameof(HeartbeatOptions.Jitter), $"Jitter is {KeepAliveDuration.Format(options.Jitter)}, not less than Interval ({shown}): a heartbeat could be delayed by a whole interval. Fix: set Jitter to a small part of Interval, for example {KeepAliveDuration.Format(interval / 10)}, or zero.");
        }

        if (intervalInRange && InRange(nameof(HeartbeatOptions.Spread)) && options.Spread is { } spread && spread >= interval)
        {
            Add(ref errors, nameof(HeartbeatOptions.Spread), $"Spread is {KeepAliveDuration.Format(spread)}, not less than Interval ({shown}): a first heartbeat could come more than two intervals after registering. Fix: remove it to keep the default (half the interval), or set it below {KeepAliveDuration.Format(interval)}, for example {KeepAliveDuration.Format(interval / 2)}; {KeepAliveDuration.Format(TimeSpan.Zero)} keeps registrations made together aligned.");
        }

        if (errors is null && options.LatenessBudget is { } budget && budget <= TimeSpan.Zero)
        {
            // Named after the value that can give: the spread when there is one, else the jitter, else the interval.
            var culprit = options.EffectiveSpread > TimeSpan.Zero ? nameof(HeartbeatOptions.Spread)
                : options.Jitter > TimeSpan.Zero ? nameof(HeartbeatOptions.Jitter) : nameof(HeartbeatOptions.Interval);
            Add(ref errors, culprit, $"Interval {KeepAliveDuration.Format(interval)} + Jitter {KeepAliveDuration.Format(options.Jitter)} + Spread {KeepAliveDuration.Format(options.EffectiveSpread)} reach PeerIdleTimeout {options.PeerIdleTimeout}: a heartbeat moved by its jitter and spread could arrive after the peer forgot the connection. Fix: lower Spread ({KeepAliveDuration.Format(TimeSpan.Zero)} keeps heartbeats aligned), Jitter or Interval.");
        }

        return (IReadOnlyList<KeepAliveValidationError>?)errors ?? [];
    }

    /// <summary>Validates a scheduler's thread settings (the scheduler's constructor throws <see cref="ArgumentException"/> for them).</summary>
    /// <param name="options">The scheduler's options.</param>
    /// <returns>
    /// Every error found, each naming the option, its exact value, the limit and the fix; empty when valid. Each value is checked
    /// against its range, then <see cref="HeartbeatSchedulerOptions.MaxStandbyThreadCount"/> against
    /// <see cref="HeartbeatSchedulerOptions.StandbyThreadCount"/>.
    /// </returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(HeartbeatSchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<KeepAliveValidationError>? errors = null;
        var refused = OptionRanges<HeartbeatSchedulerOptions>.Check(options, applies: null, ref errors);
        if (refused.Count == 0 && options.MaxStandbyThreadCount < options.StandbyThreadCount)
        {
            Add(ref errors, nameof(options.StandbyThreadCount), $"StandbyThreadCount is {options.StandbyThreadCount}, above MaxStandbyThreadCount {options.MaxStandbyThreadCount}. Fix: keep the defaults ({HeartbeatSchedulerOptions.DefaultStandbyThreadCount} and {HeartbeatSchedulerOptions.DefaultMaxStandbyThreadCount}), or raise MaxStandbyThreadCount.");
        }

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

    private static void Add(ref List<KeepAliveValidationError>? errors, string name, FormattableString message) =>
        (errors ??= []).Add(new KeepAliveValidationError(name, message.ToString(CultureInfo.InvariantCulture)));
}

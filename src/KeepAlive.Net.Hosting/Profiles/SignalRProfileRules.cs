using System.Globalization;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// SignalR's keep-alive values of a profile, resolved once by the fixed mapping (the <c>SignalR</c> section, else
/// <c>Heartbeat:Interval</c> and <c>Heartbeat:Timeout</c>, else SignalR's defaults), and the rules they must follow: each
/// timeout at least twice the interval (SignalR's own rule; below it one late keep-alive message starts a reconnect loop),
/// and the interval within the middlebox's budget (<c>Heartbeat:MaxIntervalToPeerIdleRatio</c> × <c>Heartbeat:PeerIdleTimeout</c>).
/// </summary>
internal static class SignalRProfileRules
{
    /// <summary>SignalR's own keep-alive interval (client and hub) when neither section sets one.</summary>
    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>SignalR's own client ServerTimeout and hub ClientTimeoutInterval when neither section sets them.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Validates the <c>SignalR</c> section on its own; errors are named relative to it, e.g. <c>ServerTimeout</c>.</summary>
    public static List<KeepAliveValidationError> Validate(SignalRKeepAliveOptions signalR)
    {
        var errors = OptionsSchema.For<SignalRKeepAliveOptions>().CheckRanges(signalR).ToList();
        if (errors.Count == 0 && signalR.KeepAliveInterval is { } interval)
        {
            CheckTimeout(errors, "the client's ServerTimeout", nameof(signalR.ServerTimeout), signalR.ServerTimeout, interval, "SignalR:");
            CheckTimeout(errors, "the hub's ClientTimeoutInterval", nameof(signalR.ClientTimeoutInterval), signalR.ClientTimeoutInterval, interval, "SignalR:");
        }

        return errors;
    }

    /// <summary>Whether the profile sets anything in its <c>SignalR</c> section (then it is checked as SignalR uses it at start-up).</summary>
    public static bool IsSet(SignalRKeepAliveOptions? signalR) =>
        signalR is not null && (signalR.KeepAliveInterval ?? signalR.ServerTimeout ?? signalR.ClientTimeoutInterval) is not null;

    /// <summary>The values SignalR gets from a profile, each with the key it comes from (<see langword="null"/>: SignalR's default, left alone).</summary>
    public static SignalRValues Resolve(KeepAliveProfileOptions profile)
    {
        var signalR = profile.SignalR ?? new SignalRKeepAliveOptions();
        var heartbeat = profile.Heartbeat;
        var interval = signalR.KeepAliveInterval is { } i ? new SignalRValue(i, "SignalR:KeepAliveInterval")
            : heartbeat is { IsIntervalSet: true } ? new SignalRValue(heartbeat.Interval, "Heartbeat:Interval")
            : new SignalRValue(DefaultKeepAliveInterval, null);
        return new SignalRValues(interval, Timeout(signalR.ServerTimeout, "SignalR:ServerTimeout", heartbeat), Timeout(signalR.ClientTimeoutInterval, "SignalR:ClientTimeoutInterval", heartbeat));
    }

    /// <summary>Checks the values a profile gives SignalR; errors are named relative to the profile, e.g. <c>Heartbeat:Timeout</c>.</summary>
    public static List<KeepAliveValidationError> CheckAsUsed(KeepAliveProfileOptions profile)
    {
        var errors = new List<KeepAliveValidationError>();
        var values = Resolve(profile);
        // A value taken from the Heartbeat section must still fit SignalR's own range, declared on the SignalR section.
        var schema = OptionsSchema.For<SignalRKeepAliveOptions>();
        foreach (var (value, signalRKey) in new[] { (values.KeepAliveInterval, "KeepAliveInterval"), (values.ServerTimeout, "ServerTimeout"), (values.ClientTimeoutInterval, "ClientTimeoutInterval") })
        {
            if (value.Key is { } key && key.StartsWith("Heartbeat:", StringComparison.Ordinal) && errors.TrueForAll(e => e.OptionName != key)
                && schema.Range(signalRKey).Check($"SignalR's {signalRKey}, taken from {key},", value.Value) is { } message)
            {
                errors.Add(new(key, $"{message} Or set SignalR:{signalRKey}, which SignalR takes before {key}."));
            }
        }

        CheckTimeout(errors, "the client's ServerTimeout", "SignalR:ServerTimeout", values.ServerTimeout, values.KeepAliveInterval);
        CheckTimeout(errors, "the hub's ClientTimeoutInterval", "SignalR:ClientTimeoutInterval", values.ClientTimeoutInterval, values.KeepAliveInterval);
        var interval = values.KeepAliveInterval;
        if (interval.Key != "Heartbeat:Interval" && OverBudget(profile.Heartbeat, "SignalR's keep-alive interval", $"{Show(interval.Value)} ({Source(interval)})", interval.Value, "SignalR:KeepAliveInterval") is { } overBudget)
        {
            errors.Add(new(interval.Key ?? "SignalR:KeepAliveInterval", overBudget));
        }

        return errors;
    }

    /// <summary>An interval (<paramref name="what"/>, shown as <paramref name="shown"/>) over the middlebox's budget of <paramref name="heartbeat"/>, with the fix on <paramref name="fixKey"/>; <see langword="null"/> when it fits or there is no budget.</summary>
    private static string? OverBudget(HeartbeatOptions? heartbeat, string what, string shown, TimeSpan interval, string fixKey) =>
        heartbeat?.LongestIntervalForPeer is { } limit && interval > limit
            ? Text($"{what} is {shown}, over {KeepAliveProfileRules.LongestIntervalForPeer(heartbeat, limit)}: one late or lost keep-alive message lets the middlebox drop the idle connection. Fix: set {fixKey} to at most {Show(limit)}.")
            : null;

    /// <summary>
    /// Checks a timeout in force that code set (<paramref name="codeName"/>) against the profile's keep-alive
    /// <paramref name="interval"/>, as SignalR runs them; <see langword="null"/> when it is the profile's own value
    /// <paramref name="own"/> (checked by <see cref="CheckAsUsed"/>) or fits.
    /// </summary>
    public static string? CheckSetInCode(string what, string signalRKey, string codeName, TimeSpan inForce, SignalRValue own, SignalRValue interval) =>
        inForce == own.Value || inForce >= interval.Value * 2 ? null
            : Text($"{what} is {Show(inForce)}, set in code ({codeName}), with a keep-alive interval of {Show(interval.Value)} ({Source(interval)}{AsAsked(interval.Value, "; ", string.Empty)}), below twice the interval: {Loop(what)} Fix: set {codeName} to at least {Show(interval.Value * 2)}, or remove it and set {signalRKey} in the profile.");

    /// <summary>
    /// Checks one side's keep-alive interval in force that code set (<paramref name="what"/>, <paramref name="codeName"/>)
    /// against the timeout the profile gives the other side (<paramref name="timeoutWhat"/>: the client's <c>ServerTimeout</c>
    /// for the hub's interval, the hub's <c>ClientTimeoutInterval</c> for the client's), as SignalR runs them;
    /// and against the middlebox's budget of <paramref name="heartbeat"/>, as the profile's own interval is;
    /// <see langword="null"/> when it is the profile's own interval <paramref name="own"/> (checked by <see cref="CheckAsUsed"/>) or fits.
    /// </summary>
    public static string? CheckIntervalSetInCode(string what, string codeName, TimeSpan inForce, SignalRValue own, string timeoutWhat, SignalRValue timeout, HeartbeatOptions? heartbeat) =>
        inForce == own.Value ? null
            : timeout.Value < inForce * 2 ? Text($"{what} is {Show(inForce)}, set in code ({codeName}), with {timeoutWhat} of {Show(timeout.Value)} ({Source(timeout)}), over half of it: {Loop(timeoutWhat)} Fix: set {codeName} to at most {Show(timeout.Value / 2)}, or remove it and set SignalR:KeepAliveInterval in the profile.")
            : OverBudget(heartbeat, what, $"{Show(inForce)}, set in code ({codeName})", inForce, codeName);

    private static SignalRValue Timeout(TimeSpan? own, string key, HeartbeatOptions? heartbeat) =>
        own is { } value ? new SignalRValue(value, key)
        : heartbeat?.Timeout is { } timeout ? new SignalRValue(timeout, "Heartbeat:Timeout")
        : new SignalRValue(DefaultTimeout, null);

    private static void CheckTimeout(List<KeepAliveValidationError> errors, string what, string key, TimeSpan? timeout, TimeSpan interval, string prefix)
    {
        if (timeout is { } value && value < interval * 2)
        {
            errors.Add(new(key, Text($"{prefix}{key} is {Show(value)}, below twice {prefix}KeepAliveInterval {Show(interval)}{AsAsked(interval, " (", ")")}: {Loop(what)} Fix: {RaiseTimeout(key, $"{prefix}{key}", interval * 2, $"{prefix}KeepAliveInterval", value / 2)}.")));
        }
    }

    private static void CheckTimeout(List<KeepAliveValidationError> errors, string what, string signalRKey, SignalRValue timeout, SignalRValue interval)
    {
        if (timeout.Value >= interval.Value * 2)
        {
            return;
        }

        var timeoutKey = timeout.Key ?? signalRKey;
        var intervalKey = interval.Key ?? "SignalR:KeepAliveInterval";
        errors.Add(new(timeoutKey, Text($"{what} would be {Show(timeout.Value)} ({Source(timeout)}) with a keep-alive interval of {Show(interval.Value)} ({Source(interval)}{AsAsked(interval.Value, "; ", string.Empty)}), below twice the interval: {Loop(what)} Fix: {RaiseTimeout(signalRKey["SignalR:".Length..], timeoutKey, interval.Value * 2, intervalKey, timeout.Value / 2)}.")));
    }

    /// <summary>
    /// The fix for a timeout below twice the interval: raise the timeout to <paramref name="twice"/> the interval, or lower the
    /// interval to <paramref name="half"/> the timeout; each only where it fits the range SignalR takes it in (the timeout's,
    /// <paramref name="signalRTimeout"/>, a <see cref="SignalRKeepAliveOptions"/> property; the interval's), also from the
    /// <c>Heartbeat</c> section, which would refuse it in turn; both at once where neither fits alone.
    /// </summary>
    private static string RaiseTimeout(string signalRTimeout, string timeoutKey, TimeSpan twice, string intervalKey, TimeSpan half)
    {
        var schema = OptionsSchema.For<SignalRKeepAliveOptions>();
        var (timeouts, intervals) = (schema.Range(signalRTimeout), schema.Range(nameof(SignalRKeepAliveOptions.KeepAliveInterval)));
        var longest = $"SignalR's {signalRTimeout} goes up to {timeouts.Maximum}";
        return (timeouts.Check(signalRTimeout, twice) is null, intervals.Check(nameof(SignalRKeepAliveOptions.KeepAliveInterval), half) is null) switch
        {
            (true, true) => Text($"set {timeoutKey} to at least {Show(twice)}, or {intervalKey} to at most {Show(half)}"),
            (false, true) => Text($"set {intervalKey} to at most {Show(half)} ({timeoutKey} cannot be raised to {Show(twice)}: {longest})"),
            (true, false) => Text($"set {timeoutKey} to at least {Show(twice)} ({intervalKey} cannot be lowered to {Show(half)}: SignalR's KeepAliveInterval starts at {intervals.Minimum})"),
            _ => Text($"set {intervalKey} to at most {Show(KeepAliveDuration.Parse(timeouts.Maximum) / 2)} and {timeoutKey} to at least twice it ({longest}, and its KeepAliveInterval starts at {intervals.Minimum})"),
        };
    }

    /// <summary>
    /// The one rule for a keep-alive interval with a fraction of a second (7s500ms), which SignalR's 1 s tick runs rounded
    /// down (7s): every timeout is judged against the interval the profile asks, in the profile's checks and against a
    /// timeout set in code alike, and the message says why. It is the safe one: a timeout of twice the asked interval is
    /// also twice the run one, and the tick sends a keep-alive message up to 1 s after its interval has passed.
    /// </summary>
    private static string AsAsked(TimeSpan interval, string before, string after) =>
        interval.Ticks % TimeSpan.TicksPerSecond == 0 ? string.Empty
            : Text($"{before}judged as the profile asks it, not as the {Show(TimeSpan.FromSeconds(KeepAliveClientRules.WholeSeconds(interval)))} SignalR's 1s tick runs it, since that tick sends a keep-alive message up to 1s after the interval{after}");

    private static string Loop(string what) =>
        $"SignalR requires {what} to be at least twice the keep-alive interval; below it one late or lost keep-alive message makes that side declare the other gone, and the connection reconnects, again and again (a reconnect loop).";

    private static string Source(SignalRValue value) => value.Key ?? "SignalR's default";

    private static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

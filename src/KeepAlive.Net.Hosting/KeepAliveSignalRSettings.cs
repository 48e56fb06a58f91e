using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// A keep-alive profile as SignalR takes it, on the client (<c>hubConnectionBuilder.UseKeepAlive</c>, KeepAlive.Net.SignalR)
/// and on the server (<c>services.AddSignalR().UseKeepAlive</c>, KeepAlive.Net.AspNetCore), by one fixed mapping:
/// <list type="table">
/// <item><term>keep-alive interval (client <c>KeepAliveInterval</c>, hub <c>KeepAliveInterval</c>)</term><description><c>SignalR:KeepAliveInterval</c>, else <c>Heartbeat:Interval</c> when the profile sets it</description></item>
/// <item><term>client <c>ServerTimeout</c></term><description><c>SignalR:ServerTimeout</c>, else <c>Heartbeat:Timeout</c></description></item>
/// <item><term>hub <c>ClientTimeoutInterval</c></term><description><c>SignalR:ClientTimeoutInterval</c>, else <c>Heartbeat:Timeout</c></description></item>
/// </list>
/// What the profile leaves unset keeps SignalR's own value (15 s, 30 s, 30 s). A profile whose timeout would be below twice
/// its interval is a reconnect loop and is refused, as is an interval over the middlebox's budget.
/// </summary>
public sealed class KeepAliveSignalRSettings
{
    // What was rounded to fit SignalR's timer, for the applied lines; null when nothing was.
    private readonly string? _rounding;

    private KeepAliveSignalRSettings(string profileName, KeepAliveProfileOptions profile)
    {
        var values = SignalRProfileRules.Resolve(profile);
        ProfileName = profileName;
        Profile = profile;
        if (values.KeepAliveInterval is { Key: { } key, Value: var asked })
        {
            // SignalR sends its keep-alive messages from a 1 s timer tick, once the interval has passed: 2500ms runs as 3s.
            var (seconds, rounding) = KeepAliveClientRules.ToWholeSeconds(asked, key, "SignalR's KeepAliveInterval",
                $"SignalR sends keep-alive messages on a 1s timer tick, so {KeepAliveDuration.Format(asked)} would run as {KeepAliveDuration.Format(TimeSpan.FromSeconds(Math.Ceiling(asked.TotalSeconds)))}");
            (KeepAliveInterval, _rounding) = (TimeSpan.FromSeconds(seconds), rounding);
        }

        ServerTimeout = values.ServerTimeout.Key is null ? null : values.ServerTimeout.Value;
        ClientTimeoutInterval = values.ClientTimeoutInterval.Key is null ? null : values.ClientTimeoutInterval.Value;
    }

    /// <summary>The client's keep-alive interval, as messages name it (warning 3204, refusals, event 3352).</summary>
    internal const string ClientKeepAliveInterval = "HubConnectionOptions.KeepAliveInterval";

    /// <summary>The client's <c>ServerTimeout</c>, as messages name it.</summary>
    internal const string ClientServerTimeout = "HubConnectionOptions.ServerTimeout";

    /// <summary>The client's keep-alive interval where code set it, as messages name it.</summary>
    internal const string ClientKeepAliveIntervalInCode = $"{ClientKeepAliveInterval} (WithKeepAliveInterval)";

    /// <summary>The client's <c>ServerTimeout</c> where code set it, as messages name it.</summary>
    internal const string ClientServerTimeoutInCode = $"{ClientServerTimeout} (WithServerTimeout)";

    /// <summary>The client's keep-alive interval where code set it on the built <c>HubConnection</c>, as messages name it.</summary>
    internal const string ClientKeepAliveIntervalAfterBuild = "HubConnection.KeepAliveInterval";

    /// <summary>The client's <c>ServerTimeout</c> where code set it on the built <c>HubConnection</c>, as messages name it.</summary>
    internal const string ClientServerTimeoutAfterBuild = "HubConnection.ServerTimeout";

    /// <summary>Gets the profile's name.</summary>
    public string ProfileName { get; }

    /// <summary>Gets the profile's values when the settings were created (its last valid values after any reload).</summary>
    public KeepAliveProfileOptions Profile { get; }

    /// <summary>
    /// Gets the keep-alive interval for both sides, or <see langword="null"/> to keep SignalR's own (15 s): in whole seconds,
    /// rounded down (SignalR sends keep-alive messages on a 1 s timer tick, so a fraction would make them later than asked),
    /// which <see cref="Describe"/> says.
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; }

    /// <summary>
    /// Gets the keep-alive interval as reload warnings show the profile's value (3204 for the client, 3106 for the hubs), or
    /// <see langword="null"/> when the profile sets none: as the profile says it, and where SignalR runs it rounded down to
    /// whole seconds, what runs ("8s500ms, run as 8s"), not a value the profile does not say.
    /// </summary>
    internal string? ShownKeepAliveInterval =>
        KeepAliveInterval is { } runs
            ? SignalRProfileRules.Resolve(Profile).KeepAliveInterval.Value is var asked && asked != runs ? $"{KeepAliveDuration.Format(asked)}, run as {KeepAliveDuration.Format(runs)}" : KeepAliveDuration.Format(runs)
            : null;

    /// <summary>Gets the client's <c>ServerTimeout</c>, or <see langword="null"/> to keep SignalR's own (30 s).</summary>
    public TimeSpan? ServerTimeout { get; }

    /// <summary>Gets the hub's <c>ClientTimeoutInterval</c>, or <see langword="null"/> to keep SignalR's own (30 s).</summary>
    public TimeSpan? ClientTimeoutInterval { get; }

    /// <summary>Reads a profile's current values and checks them as SignalR takes them.</summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The values for SignalR.</returns>
    /// <exception cref="KeepAliveProfileNotFoundException">No profile of that name is registered.</exception>
    /// <exception cref="OptionsValidationException">
    /// The profile is invalid, or would make a reconnect loop (a timeout below twice the interval) or miss the middlebox's
    /// budget; each failure names the configuration path, the values and the fix.
    /// </exception>
    public static KeepAliveSignalRSettings Create(IKeepAliveProfiles profiles, string profileName) => Create(profiles, profileName, usedBy: null);

    /// <summary>As <see cref="Create(IKeepAliveProfiles, string)"/>, for the call <paramref name="usedBy"/> (e.g. <c>HubConnectionBuilder.UseKeepAlive("payments")</c>), which a name not registered is refused naming.</summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="usedBy">The call that asked for the profile, or <see langword="null"/>.</param>
    /// <returns>The settings.</returns>
    internal static KeepAliveSignalRSettings Create(IKeepAliveProfiles profiles, string profileName, string? usedBy)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        var profile = KeepAliveProfiles.GetProfileFor(profiles, profileName, usedBy);
        var errors = SignalRProfileRules.CheckAsUsed(profile);
        if (errors.Count > 0)
        {
            throw KeepAliveProfiles.Refusal(profiles, profileName, errors);
        }

        return new KeepAliveSignalRSettings(profileName, profile);
    }

    /// <summary>
    /// Refuses a timeout in force that code set, not the profile, below twice the profile's keep-alive interval: SignalR's own
    /// rule, which the profile's values were checked against in <see cref="Create(IKeepAliveProfiles, string)"/> but a hand-set value escapes.
    /// </summary>
    /// <param name="serverTimeout">The client's <c>ServerTimeout</c> in force (<c>WithServerTimeout</c>), or <see langword="null"/>.</param>
    /// <param name="clientTimeoutInterval">The hub's <c>ClientTimeoutInterval</c> in force, or <see langword="null"/>.</param>
    /// <param name="hubOptions">The hub options that hold <paramref name="clientTimeoutInterval"/> and <paramref name="hubKeepAliveInterval"/>, as the message names them: <c>HubOptions</c> (every hub's), or <c>HubOptions&lt;ChatHub&gt;</c> for one hub's own (<c>AddHubOptions&lt;ChatHub&gt;</c>).</param>
    /// <param name="hubKeepAliveInterval">The hub's <c>KeepAliveInterval</c> in force, or <see langword="null"/>: refused when set in code over half the client's <c>ServerTimeout</c> the profile gives, or over the middlebox's budget (<c>Heartbeat:MaxIntervalToPeerIdleRatio</c> x <c>Heartbeat:PeerIdleTimeout</c>).</param>
    /// <param name="clientKeepAliveInterval">The client's <c>KeepAliveInterval</c> in force (<c>WithKeepAliveInterval</c>), or <see langword="null"/>: refused when set in code over half the hub's <c>ClientTimeoutInterval</c> the profile gives, or over the middlebox's budget.</param>
    /// <exception cref="InvalidOperationException">The timeout or interval would start a reconnect loop, or the interval miss the middlebox's budget; the message names the values and the fix.</exception>
    public void ThrowIfReconnectLoop(TimeSpan? serverTimeout = null, TimeSpan? clientTimeoutInterval = null, string hubOptions = "HubOptions", TimeSpan? hubKeepAliveInterval = null, TimeSpan? clientKeepAliveInterval = null)
    {
        if (ReconnectLoop(serverTimeout, clientTimeoutInterval, hubOptions, hubKeepAliveInterval, clientKeepAliveInterval, clientSetAfterBuild: false) is { } refused)
        {
            throw new InvalidOperationException(refused);
        }
    }

    /// <summary>
    /// The one rule of <see cref="ThrowIfReconnectLoop"/>: why the values in force would start a reconnect loop or miss the
    /// middlebox's budget, with the values and the fix, or <see langword="null"/> when they fit. <paramref name="clientSetAfterBuild"/>:
    /// the client's values are the built <c>HubConnection</c>'s own (set on it after <c>Build()</c>), and messages name them so.
    /// </summary>
    internal string? ReconnectLoop(TimeSpan? serverTimeout, TimeSpan? clientTimeoutInterval, string hubOptions, TimeSpan? hubKeepAliveInterval, TimeSpan? clientKeepAliveInterval, bool clientSetAfterBuild)
    {
        var values = Values();
        var (clientServerTimeout, clientInterval) = clientSetAfterBuild ? (ClientServerTimeoutAfterBuild, ClientKeepAliveIntervalAfterBuild) : (ClientServerTimeoutInCode, ClientKeepAliveIntervalInCode);

        // A timeout is judged against the interval the profile asks (7s500ms), as the profile's own checks judge it, not the
        // one SignalR's tick runs (7s): SignalRProfileRules says why. Whether an interval in force is the profile's own is
        // still told by the one that runs.
        var asked = SignalRProfileRules.Resolve(Profile).KeepAliveInterval;
        var refused = (serverTimeout is { } server ? SignalRProfileRules.CheckSetInCode("the client's ServerTimeout", "SignalR:ServerTimeout", clientServerTimeout, server, values.ServerTimeout, asked) : null)
            ?? (clientTimeoutInterval is { } client ? SignalRProfileRules.CheckSetInCode("the hub's ClientTimeoutInterval", "SignalR:ClientTimeoutInterval", $"{hubOptions}.ClientTimeoutInterval", client, values.ClientTimeoutInterval, asked) : null)
            ?? (hubKeepAliveInterval is { } hub ? SignalRProfileRules.CheckIntervalSetInCode("the hub's KeepAliveInterval", $"{hubOptions}.KeepAliveInterval", hub, values.KeepAliveInterval, "the client's ServerTimeout", values.ServerTimeout, Profile.Heartbeat) : null)
            ?? (clientKeepAliveInterval is { } ownInterval ? SignalRProfileRules.CheckIntervalSetInCode("the client's KeepAliveInterval", clientInterval, ownInterval, values.KeepAliveInterval, "the hub's ClientTimeoutInterval", values.ClientTimeoutInterval, Profile.Heartbeat) : null);
        return refused is null ? null : $"KeepAlive profile '{ProfileName}': {refused}";
    }

    /// <summary>Describes what SignalR gets, for a log line: each value and where it comes from.</summary>
    /// <returns>For example "KeepAliveInterval 10s (Heartbeat:Interval), ServerTimeout 30s (SignalR's default), ...".</returns>
    public override string ToString() => Describe();

    /// <summary>
    /// Describes what SignalR runs with, for a log line: each value and where it comes from. A value in force is shown as
    /// it is, also where the profile leaves it unset and code set it (SignalR's default would be wrong there); the others
    /// as the profile gives them.
    /// </summary>
    /// <param name="keepAliveInterval">The keep-alive interval in force, or <see langword="null"/> for the profile's.</param>
    /// <param name="serverTimeout">The client's <c>ServerTimeout</c> in force, or <see langword="null"/> for the profile's.</param>
    /// <param name="clientTimeoutInterval">The hub's <c>ClientTimeoutInterval</c> in force, or <see langword="null"/> for the profile's.</param>
    /// <returns>For example "KeepAliveInterval 5s (set in code; the profile sets none), ServerTimeout 30s (Heartbeat:Timeout), ...".</returns>
    public string Describe(TimeSpan? keepAliveInterval = null, TimeSpan? serverTimeout = null, TimeSpan? clientTimeoutInterval = null)
    {
        var values = Values();
        var described = $"KeepAliveInterval {Show(values.KeepAliveInterval, keepAliveInterval)}, ServerTimeout {Show(values.ServerTimeout, serverTimeout)}, ClientTimeoutInterval {Show(values.ClientTimeoutInterval, clientTimeoutInterval)}";
        return _rounding is null || keepAliveInterval is { } inForce && inForce != KeepAliveInterval ? described : $"{described}; {_rounding}";
    }

    // The values SignalR gets, as it runs them: the keep-alive interval rounded down to whole seconds.
    private SignalRValues Values() => SignalRProfileRules.Resolve(Profile) is var values && KeepAliveInterval is { } interval
        ? values with { KeepAliveInterval = values.KeepAliveInterval with { Value = interval } }
        : values;

    private static string Show(SignalRValue value, TimeSpan? inForce)
    {
        var shown = inForce ?? value.Value;
        var source = shown == value.Value ? value.Key ?? "SignalR's default"
            : value.Key is { } key ? $"set in code, over {key} {KeepAliveDuration.Format(value.Value)}"
            : "set in code; the profile sets none";
        return $"{KeepAliveDuration.Format(shown)} ({source})";
    }
}

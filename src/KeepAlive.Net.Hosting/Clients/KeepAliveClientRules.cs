using System.Globalization;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// The rules a profile must follow to be applied to a client library (most count their heartbeat in whole seconds). The
/// profile's own rules (every duration, the heartbeat and <c>Tcp</c> against <c>Heartbeat:PeerIdleTimeout</c>) are checked
/// by <see cref="KeepAliveProfileOptionsValidator"/> first; option names are relative to the profile, as in <see cref="HttpProfileRules"/>.
/// </summary>
internal static class KeepAliveClientRules
{
    public static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    /// <summary>Ends a fix that judges the client's own default: a check of the profile cannot see a value set by hand on the client.</summary>
    private const string HandSetNotSeen = " (a value set by hand on the client is not seen here: set it in the profile)";

    /// <summary>
    /// The <c>Heartbeat</c> keys whose rules against <c>Interval</c> judge the 10 s default when the profile sets none, each
    /// with its declared range: a value outside it is refused by the range alone, whatever the interval, and that refusal is
    /// kept. <c>Timeout</c> must be longer than <c>Interval</c>; <c>Jitter</c> and <c>Spread</c> less than it, and with it
    /// short of <c>PeerIdleTimeout</c>.
    /// </summary>
    private static readonly Dictionary<string, OptionKey> JudgedAgainstTheInterval = OptionsSchema.For<HeartbeatOptions>().Keys
        .Where(static k => k.Name is nameof(HeartbeatOptions.Timeout) or nameof(HeartbeatOptions.Jitter) or nameof(HeartbeatOptions.Spread))
        .ToDictionary(static k => k.Name, StringComparer.Ordinal);

    public static List<KeepAliveValidationError> Validate(KeepAliveProfileOptions profile, KeepAliveClientDescription client)
    {
        var errors = new List<KeepAliveValidationError>();
        var heartbeat = profile.Heartbeat;
        if (heartbeat is { IsIntervalSet: true } && client.HeartbeatInWholeSeconds && heartbeat.Interval < OneSecond)
        {
            errors.Add(new("Heartbeat:Interval", Text($"Heartbeat:Interval is {Show(heartbeat.Interval)}, but {client.ClientName} counts {client.HeartbeatSetting} in whole seconds: below 1s it would round to 0, which {client.ClientName} does not take as an interval (0 turns its own heartbeat off, or leaves it to the server). Fix: set Heartbeat:Interval to at least \"1s\", or remove it to keep {client.ClientName}'s own default.")));
        }
        else if (heartbeat is { IsIntervalSet: true } && heartbeat.Interval > client.MaxHeartbeatInterval)
        {
            errors.Add(new("Heartbeat:Interval", Text($"Heartbeat:Interval is {Show(heartbeat.Interval)}, above the {Show(client.MaxHeartbeatInterval)} that {client.ClientName} can carry in {client.HeartbeatSetting}. Fix: set Heartbeat:Interval to at most {Show(client.MaxHeartbeatInterval)}.")));
        }

        if (heartbeat is { IsIntervalSet: false } && OwnHeartbeatMissesThePeer(heartbeat, client) is { } missesThePeer)
        {
            errors.Add(new("Heartbeat:Interval", missesThePeer));
        }

        if (heartbeat is { IsIntervalSet: false } && OwnHeartbeatMissesTheTimeout(heartbeat, client) is { } missesTheTimeout)
        {
            errors.Add(new("Heartbeat:Timeout", missesTheTimeout));
        }

        if (profile.Tcp is not { Enabled: true } && !HeartbeatUsable(heartbeat, client))
        {
            errors.Add(new("Tcp:Enabled", Text($"{NothingUsable(client)}: Tcp:Enabled is false and Heartbeat:Interval is not set{(heartbeat?.Timeout is null ? string.Empty : $" (Heartbeat:Timeout is, but {client.WithoutHeartbeatTimeout})")}, so UseKeepAlive would change nothing. Fix: enable the Tcp section (remove \"Enabled\": false), or set Heartbeat:Interval for {client.HeartbeatSetting}, for example \"30s\".")));
        }

        return errors;
    }

    /// <summary>
    /// Why the heartbeat <paramref name="client"/> keeps when the profile sets no <c>Heartbeat:Interval</c> (its own default,
    /// <see cref="KeepAliveClientDescription.DefaultHeartbeatInterval"/>) cannot beat <c>Heartbeat:PeerIdleTimeout</c>: over
    /// <c>Heartbeat:MaxIntervalToPeerIdleRatio</c> of it, as a profile's own interval is judged, or none at all. The
    /// <c>Tcp</c> section does not make up for it: its probes keep a middlebox's flow, not a peer that closes idle connections itself.
    /// </summary>
    /// <param name="heartbeat">The profile's heartbeat.</param>
    /// <param name="client">The client.</param>
    /// <param name="handSet">The client's heartbeat interval set by hand, judged in place of its default; a zero one (the heartbeat off) is not judged here.</param>
    /// <returns>The message with the values and the fix, or <see langword="null"/> when the profile has no <c>Heartbeat:PeerIdleTimeout</c> or the client's own heartbeat beats it (whether the profile sets <c>Heartbeat:Interval</c> is the caller's question).</returns>
    public static string? OwnHeartbeatMissesThePeer(HeartbeatOptions? heartbeat, KeepAliveClientDescription client, TimeSpan? handSet = null)
    {
        if (heartbeat?.LongestIntervalForPeer is not { } limit)
        {
            return null;
        }

        var own = handSet ?? client.DefaultHeartbeatInterval;
        if (own is { } ownInterval && ownInterval <= limit)
        {
            return null;
        }

        var budget = $"the limit of {KeepAliveProfileRules.LongestIntervalForPeer(heartbeat, limit)}";
        var what = (handSet, own) switch
        {
            ({ } yours, _) => Text($"Heartbeat:Interval is not set, so {client.ClientName} keeps {client.HeartbeatSetting}, set by hand to {Show(yours)}, over {budget}: the peer would drop an idle connection before the client's heartbeat reaches it"),
            (_, { } tooLong) => Text($"Heartbeat:Interval is not set, so {client.ClientName} keeps its own {client.HeartbeatSetting}, {Show(tooLong)} by default, over {budget}: the peer would drop an idle connection before the client's heartbeat reaches it"),
            _ => Text($"Heartbeat:Interval is not set, and {client.ClientName} sends no heartbeat unless told to ({client.HeartbeatSetting} is off by default), so nothing it sends keeps an idle connection within {budget}: the peer would drop it"),
        };
        var fix = handSet is null
            ? Text($"set Heartbeat:Interval, which {client.ClientName} takes as {client.HeartbeatSetting}, to at most {Show(limit)}{HandSetNotSeen}")
            : Text($"set {client.HeartbeatSetting} to at most {Show(limit)}, or set Heartbeat:Interval in the profile, which replaces it as {client.HeartbeatSetting}");
        return Text($"{what} (the Tcp section's probes keep a middlebox's flow, not a peer that closes idle connections itself). Fix: {fix}.");
    }

    /// <summary>
    /// What a heartbeat interval the client runs in place of the profile's must stay within for the profile's
    /// <c>Heartbeat:PeerIdleTimeout</c> and <c>Heartbeat:Timeout</c> to be kept, by the rules of <see cref="OwnHeartbeatMissesThePeer"/>
    /// and <see cref="OwnHeartbeatMissesTheTimeout"/>, when <paramref name="interval"/> is not within it.
    /// </summary>
    /// <returns>The profile setting it misses with its value (e.g. <c>Heartbeat:PeerIdleTimeout AwsNlb (5m50s)</c>) and the bound (e.g. <c>at most 2m55s = ...</c>), or <see langword="null"/> when it is within both, or zero (the heartbeat off).</returns>
    public static (string Missed, string Bound)? OutsideTheProfile(HeartbeatOptions? heartbeat, KeepAliveClientDescription client, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero || heartbeat is null)
        {
            return null;
        }

        if (OwnHeartbeatMissesThePeer(heartbeat, client, interval) is not null && heartbeat.LongestIntervalForPeer is { } limit)
        {
            return (Text($"Heartbeat:PeerIdleTimeout {heartbeat.PeerIdleTimeout}"), $"to at most {KeepAliveProfileRules.LongestIntervalForPeer(heartbeat, limit)}");
        }

        return OwnHeartbeatMissesTheTimeout(heartbeat, client, interval) is not null && heartbeat.Timeout is { } timeout
            ? (Text($"Heartbeat:Timeout {Show(timeout)}"), Text($"below {Show(timeout)}"))
            : null;
    }

    /// <summary>
    /// Whether <paramref name="error"/>, one of the profile's own <c>Heartbeat</c> rules (named relative to the section), judges
    /// the library's 10 s default <c>Heartbeat:Interval</c> of a profile that sets none, for a profile a client uses: the client
    /// keeps its own heartbeat in place of that default, and <see cref="OwnHeartbeatMissesThePeer"/> and
    /// <see cref="OwnHeartbeatMissesTheTimeout"/> judge that one, so the default's refusal is a second message about one
    /// interval, or one about an interval nothing sends. Those are the refusals on <c>Interval</c> (over the peer's limit), on
    /// an in-range <c>Timeout</c> (not longer than <c>Interval</c>), and on an in-range <c>Jitter</c> or <c>Spread</c> (not
    /// less than <c>Interval</c>, or with it reaching <c>PeerIdleTimeout</c>): the client's own timer has neither, which
    /// <see cref="KeepAliveClientSettings.ReportApplied"/> says. A value outside its own range is refused by that range,
    /// whatever the interval, and is kept. The default is what the scheduler sends for a heartbeat registered with the
    /// profile, and it refuses it there.
    /// </summary>
    public static bool JudgesTheDefaultIntervalNotTheClients(HeartbeatOptions heartbeat, KeepAliveValidationError error) =>
        !heartbeat.IsIntervalSet && (error.OptionName == nameof(HeartbeatOptions.Interval)
            || (JudgedAgainstTheInterval.ContainsKey(error.OptionName) && InRange(heartbeat, error.OptionName)));

    /// <summary>
    /// Why <c>Heartbeat:Timeout</c>, for a <paramref name="client"/> that takes it, cannot be kept with the heartbeat the client
    /// keeps when the profile sets no <c>Heartbeat:Interval</c> (its own default, or <paramref name="handSet"/>, one set by hand
    /// on the client, which start-up cannot see and <c>UseKeepAlive</c> can): not longer than it, as the profile's own rule
    /// wants it longer than <c>Heartbeat:Interval</c>, or no heartbeat at all.
    /// </summary>
    /// <param name="heartbeat">The profile's heartbeat.</param>
    /// <param name="client">The client.</param>
    /// <param name="handSet">The client's heartbeat interval set by hand, judged in place of its default; a zero one (the heartbeat off) is not judged here.</param>
    /// <returns>The message with the values and the fix, or <see langword="null"/> when the profile has no <c>Heartbeat:Timeout</c> or one outside its range (refused by that range), the client takes none, or its own heartbeat is shorter (whether the profile sets <c>Heartbeat:Interval</c> is the caller's question).</returns>
    public static string? OwnHeartbeatMissesTheTimeout(HeartbeatOptions? heartbeat, KeepAliveClientDescription client, TimeSpan? handSet = null)
    {
        var own = handSet ?? client.DefaultHeartbeatInterval;
        if (heartbeat?.Timeout is not { } timeout || !InRange(heartbeat, nameof(HeartbeatOptions.Timeout)) || client.HeartbeatTimeoutSetting is null || own < timeout)
        {
            return null;
        }

        var why = own is { } ownInterval
            ? Text($"not longer than {(handSet is null ? $"{client.ClientName}'s own {client.HeartbeatSetting}, {Show(ownInterval)} by default" : $"{client.HeartbeatSetting}, set by hand to {Show(ownInterval)}, which {client.ClientName} keeps")} (Heartbeat:Interval is not set): the client sends its heartbeat only that often, so a peer cannot be found silent within {Show(timeout)}: the connection would end later than the timeout says")
            : Text($"but Heartbeat:Interval is not set and {client.ClientName} sends no heartbeat unless told to ({client.HeartbeatSetting} is off by default), so nothing would time out");
        var third = timeout / 3;
        var example = third >= OneSecond ? TimeSpan.FromSeconds(Math.Floor(third.TotalSeconds)) : TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor(third.TotalMilliseconds)));
        var yours = handSet is null ? string.Empty : Text($", which replaces the hand-set {client.HeartbeatSetting}, or set {client.HeartbeatSetting} below {Show(timeout)}");
        return Text($"Heartbeat:Timeout is {Show(timeout)}, {why}. Fix: set Heartbeat:Interval below {Show(timeout)}, for example {Show(example)} (about a third of the timeout){yours}{(own is { } longest ? Text($", or Heartbeat:Timeout above {Show(longest)}") : string.Empty)}{(handSet is null ? HandSetNotSeen : string.Empty)}.");
    }

    /// <summary>Whether the profile's heartbeat gives <paramref name="client"/> something to use without the <c>Tcp</c> section: <c>Heartbeat:Interval</c>, or <c>Heartbeat:Timeout</c> for a client with a heartbeat timeout.</summary>
    public static bool HeartbeatUsable(HeartbeatOptions? heartbeat, KeepAliveClientDescription client) =>
        heartbeat is { IsIntervalSet: true } || TimeoutUsable(heartbeat, client);

    /// <summary>Whether the profile's heartbeat gives <paramref name="client"/> something to use without <c>Heartbeat:Interval</c>: <c>Heartbeat:Timeout</c>, for a client with a heartbeat timeout.</summary>
    public static bool TimeoutUsable(HeartbeatOptions? heartbeat, KeepAliveClientDescription client) =>
        heartbeat?.Timeout is not null && client.HeartbeatTimeoutSetting is not null;

    /// <summary>Why a profile with neither the <c>Tcp</c> section nor a heartbeat <paramref name="client"/> can use is refused.</summary>
    public static string NothingUsable(KeepAliveClientDescription client) => Text($"the profile sets nothing {client.ClientName} can use");

    /// <summary>
    /// Rounds a profile time down to the whole seconds a setting runs in: never later than asked, and at least 1 s; with the
    /// one wording of the rounding, for the log line that says what was applied.
    /// </summary>
    /// <param name="value">The profile's time.</param>
    /// <param name="profileKey">The profile setting it comes from, e.g. <c>Heartbeat:Interval</c>.</param>
    /// <param name="setting">The setting it goes to, e.g. <c>Tcp Keepalive Time</c>.</param>
    /// <param name="why">Why it runs in whole seconds, e.g. "Npgsql counts whole seconds".</param>
    /// <returns>The whole seconds, and the sentence saying what was rounded (<see langword="null"/> when nothing was).</returns>
    public static (int Seconds, string? Rounding) ToWholeSeconds(TimeSpan value, string profileKey, string setting, string why)
    {
        var seconds = WholeSeconds(value);
        return (seconds, TimeSpan.FromSeconds(seconds) == value ? null
            : Text($"{profileKey} {Show(value)} is rounded down to {Show(TimeSpan.FromSeconds(seconds))} for {setting} ({why}; rounding down never makes it later than asked)"));
    }

    /// <summary>A value in whole seconds, rounded down (never later than asked), at least 1 s: what a 1 s timer or a seconds-only setting runs.</summary>
    public static int WholeSeconds(TimeSpan value) => (int)Math.Clamp(Math.Floor(value.TotalSeconds), 1, int.MaxValue);

    public static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    public static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the heartbeat's <paramref name="key"/>, one judged against the interval, is within its declared range; outside it, the range's refusal is the one message about it.</summary>
    private static bool InRange(HeartbeatOptions heartbeat, string key) => JudgedAgainstTheInterval[key].CheckRange(heartbeat) is null;
}

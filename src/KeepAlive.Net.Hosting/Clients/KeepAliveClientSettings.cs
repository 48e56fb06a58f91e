using System.Net.Sockets;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting;

/// <summary>
/// A keep-alive profile mapped onto a client library's own settings, for the packages that apply profiles to database,
/// cache and broker clients (KeepAlive.Net.StackExchangeRedis, .RabbitMQ, .Npgsql, .Nats) and for anyone writing one:
/// the profile's current, validated values checked against the client (<see cref="Create"/>), its <c>Tcp</c> section
/// applied to each socket the client opens (<see cref="ConfigureSocket"/>), and one log line saying what was applied,
/// what keeps the client's own value and what the client cannot do.
/// </summary>
/// <remarks>
/// Only values the profile sets are taken: <see cref="HeartbeatInterval"/> is <see langword="null"/> unless the profile
/// sets <c>Heartbeat:Interval</c> (<see cref="HeartbeatOptions.IsIntervalSet"/>), so its 10 s default never replaces the
/// client's own. Clients that count whole seconds get intervals rounded down (never later than asked) and the rounding is
/// reported. Messages name the profile's configuration path, the value and the fix, as start-up validation does.
/// </remarks>
public sealed class KeepAliveClientSettings
{
    /// <summary>The heartbeat settings' defaults, against which a threshold the profile sets is told from one it leaves.</summary>
    private static readonly HeartbeatOptions HeartbeatDefaults = new();

    private readonly IKeepAliveProfiles _profiles;
    private readonly ILogger _logger;
    private readonly List<string> _adjustments = [];

    private KeepAliveClientSettings(IKeepAliveProfiles profiles, string profileName, KeepAliveProfileOptions profile, KeepAliveClientDescription client)
    {
        _profiles = profiles;
        _logger = KeepAliveProfiles.LoggerOf(profiles);
        ProfileName = profileName;
        Profile = profile;
        Client = client;
        Tcp = profile.Tcp is { Enabled: true } tcp ? tcp : null;
        if (profile.Heartbeat is { IsIntervalSet: true } heartbeat)
        {
            HeartbeatInterval = client.HeartbeatInWholeSeconds ? TimeSpan.FromSeconds(ToWholeSeconds(heartbeat.Interval, "Heartbeat:Interval", client.HeartbeatSetting)) : heartbeat.Interval;
        }

        if (client.HeartbeatTimeoutSetting is not null)
        {
            HeartbeatTimeout = profile.Heartbeat?.Timeout;
        }
    }

    /// <summary>Gets the client the profile is applied to.</summary>
    public KeepAliveClientDescription Client { get; }

    /// <summary>Gets the profile's name.</summary>
    public string ProfileName { get; }

    /// <summary>Gets the profile's values when the settings were created (its last valid values after any reload).</summary>
    public KeepAliveProfileOptions Profile { get; }

    /// <summary>Gets the profile's <c>Tcp</c> section, or <see langword="null"/> when it sets <c>"Enabled": false</c> (the client's sockets keep their own keep-alive).</summary>
    public TcpKeepAliveOptions? Tcp { get; }

    /// <summary>Gets the heartbeat interval for <see cref="KeepAliveClientDescription.HeartbeatSetting"/> (in whole seconds, rounded down, when <see cref="KeepAliveClientDescription.HeartbeatInWholeSeconds"/>), or <see langword="null"/> when the profile does not set <c>Heartbeat:Interval</c>.</summary>
    public TimeSpan? HeartbeatInterval { get; }

    /// <summary>Gets the profile's <c>Heartbeat:Timeout</c> when the client has a heartbeat timeout (<see cref="KeepAliveClientDescription.HeartbeatTimeoutSetting"/>), else <see langword="null"/>.</summary>
    public TimeSpan? HeartbeatTimeout { get; }

    /// <summary>Gets what was rounded to fit the client, one sentence each (also in the log line of <see cref="ReportApplied"/>).</summary>
    public IReadOnlyList<string> Adjustments => _adjustments;

    /// <summary>Reads a profile's current values and checks them against a client.</summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="client">The client the profile is applied to.</param>
    /// <returns>The settings for the client.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered (the message lists the registered ones).</exception>
    /// <exception cref="OptionsValidationException">The profile is invalid, or does not suit the client (a heartbeat below 1 s, nothing the client can use, no <c>Heartbeat:Interval</c> while the client's own heartbeat does not beat <c>Heartbeat:PeerIdleTimeout</c>); each failure names the path, the value and the fix.</exception>
    public static KeepAliveClientSettings Create(IKeepAliveProfiles profiles, string profileName, KeepAliveClientDescription client)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(profileName);
        ArgumentNullException.ThrowIfNull(client);
        var profile = KeepAliveProfiles.GetProfileFor(profiles, profileName, client.Who);
        var errors = KeepAliveClientRules.Validate(profile, client);
        if (errors.Count > 0)
        {
            throw KeepAliveProfiles.Refusal(profiles, profileName, errors);
        }

        return new KeepAliveClientSettings(profiles, profileName, profile, client);
    }

    /// <summary>Checks a profile against a client without applying it: the rules <see cref="Create"/> and start-up validation apply.</summary>
    /// <param name="profile">The profile's values.</param>
    /// <param name="client">The client.</param>
    /// <returns>The errors, each naming the profile setting (e.g. <c>Heartbeat:Interval</c>) with its value and the fix; empty when it suits.</returns>
    public static IReadOnlyList<KeepAliveValidationError> Validate(KeepAliveProfileOptions profile, KeepAliveClientDescription client)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(client);
        return KeepAliveClientRules.Validate(profile, client);
    }

    /// <summary>
    /// Converts a profile time to the whole seconds a client setting takes: rounded down, so never later than asked,
    /// and at least 1 s. A rounding is added to <see cref="Adjustments"/> (once, however often the same value is converted).
    /// </summary>
    /// <param name="value">The profile's time.</param>
    /// <param name="profileKey">The profile setting it comes from, e.g. <c>Tcp:IdleTime</c>.</param>
    /// <param name="clientSetting">The client setting it goes to, e.g. <c>Tcp Keepalive Time</c>.</param>
    /// <returns>The whole seconds.</returns>
    public int ToWholeSeconds(TimeSpan value, string profileKey, string clientSetting)
    {
        var (seconds, adjustment) = KeepAliveClientRules.ToWholeSeconds(value, profileKey, clientSetting, $"{Client.ClientName} counts whole seconds");
        if (adjustment is not null && !_adjustments.Contains(adjustment))
        {
            _adjustments.Add(adjustment);
        }

        return seconds;
    }

    /// <summary>
    /// Applies the profile's current <c>Tcp</c> section (its last valid values, so reloads reach connections opened
    /// afterwards) to a socket the client opened, once connected when it connects to a host name (configured before, .NET
    /// no longer tries the name's next address), and logs the effective settings read back
    /// from the kernel (event <see cref="KeepAliveEventIds.ClientConnectionConfigured"/>, Debug). While the profile sets
    /// <c>Tcp:Enabled</c> false (a reload may), the socket is left as the client opened it, its own keep-alive included, as
    /// when the profile was off from the start (event <see cref="KeepAliveEventIds.ClientConnectionTcpDisabled"/>, Debug).
    /// </summary>
    /// <param name="socket">The client's socket.</param>
    /// <param name="connection">Describes the connection in the log, e.g. the server's end point.</param>
    /// <returns>The effective settings, or <see langword="null"/> when the socket is not TCP (a Unix domain socket) or the profile's <c>Tcp</c> section is off, and nothing applies.</returns>
    /// <exception cref="SocketException">The kernel rejected an option.</exception>
    /// <remarks>Call it from the client's socket hook whatever the profile's <c>Tcp:Enabled</c> at set-up, so that a reload turning the section on reaches the next connection.</remarks>
    public KeepAliveSettings? ConfigureSocket(Socket socket, string connection)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!TcpSockets.IsTcp(socket))
        {
            Log.ClientConnectionWithoutTcp(_logger, Client.ClientName, connection, ProfileName);
            return null;
        }

        var profile = _profiles.GetProfile(ProfileName);
        if (!profile.Tcp.Enabled)
        {
            // Tcp:Enabled false means "the client's own keep-alive" for a client; the core's false would switch SO_KEEPALIVE off.
            Log.ClientConnectionTcpDisabled(_logger, Client.ClientName, connection, ProfileName);
            return null;
        }

        var settings = KeepAliveProfiles.Configure(_profiles, socket, profile);
        Log.ClientConnectionConfigured(_logger, Client.ClientName, connection, ProfileName, settings);
        return settings;
    }

    /// <summary>
    /// Warns when a client option was set by hand (it differs from the client's default) to something other than what the
    /// profile sets: the profile's value wins (event <see cref="KeepAliveEventIds.ClientOptionOverridden"/>).
    /// </summary>
    /// <typeparam name="T">The option's type.</typeparam>
    /// <param name="clientSetting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="current">The option's value before the profile is applied.</param>
    /// <param name="clientDefault">The client's default for the option (a value equal to it counts as not set by hand).</param>
    /// <param name="profileKey">The profile setting that wins, e.g. <c>Heartbeat:Interval</c>.</param>
    /// <param name="fromProfile">The value the client gets from the profile.</param>
    /// <param name="format">Formats a value for the message.</param>
    public void ReportIfOverridden<T>(string clientSetting, T current, T clientDefault, string profileKey, T fromProfile, Func<T, string> format)
        where T : IEquatable<T>
    {
        ArgumentNullException.ThrowIfNull(format);
        if (!current.Equals(clientDefault) && !current.Equals(fromProfile))
        {
            ReportOverride(clientSetting, format(current), profileKey, format(fromProfile));
        }
    }

    /// <summary>
    /// Refuses a heartbeat interval set by hand on the client that the profile's <c>Heartbeat:PeerIdleTimeout</c> or
    /// <c>Heartbeat:Timeout</c> cannot be kept with when the profile sets no <c>Heartbeat:Interval</c> (the client then keeps
    /// yours): over the peer's limit, or not shorter than the timeout, the rules that refuse the client's own default at
    /// start-up, which cannot see a value set by hand.
    /// </summary>
    /// <param name="yourInterval">The client's heartbeat interval (<see cref="KeepAliveClientDescription.HeartbeatSetting"/>) set by hand; zero (the heartbeat off) is not judged here.</param>
    /// <exception cref="OptionsValidationException">The interval misses <c>Heartbeat:PeerIdleTimeout</c> or <c>Heartbeat:Timeout</c>; each failure names the configuration path of the one it misses, both values and the fix, as the refusal of the client's own default does.</exception>
    public void ThrowIfYourHeartbeatMissesTheTimeout(TimeSpan yourInterval)
    {
        if (HeartbeatInterval is null && yourInterval > TimeSpan.Zero)
        {
            (string Key, string? Refused)[] rules =
            [
                ("Heartbeat:PeerIdleTimeout", KeepAliveClientRules.OwnHeartbeatMissesThePeer(Profile.Heartbeat, Client, yourInterval)),
                ("Heartbeat:Timeout", KeepAliveClientRules.OwnHeartbeatMissesTheTimeout(Profile.Heartbeat, Client, yourInterval)),
            ];
            if (rules.Where(static r => r.Refused is not null).Select(static r => new KeepAliveValidationError(r.Key, r.Refused!)).ToList() is { Count: > 0 } errors)
            {
                throw KeepAliveProfiles.Refusal(_profiles, ProfileName, errors);
            }
        }
    }

    /// <summary>
    /// Takes a heartbeat interval set by hand on the client after <c>UseKeepAlive</c>, found when the client connects (the latest
    /// point the package sees the client's options), which the client would run in place of <paramref name="left"/>, the value
    /// <c>UseKeepAlive</c> left: by the rules that judge one set before it, when the profile's <c>Heartbeat:PeerIdleTimeout</c>
    /// or <c>Heartbeat:Timeout</c> cannot be kept with it, <paramref name="left"/> wins and a warning says so with the bound
    /// (event <see cref="KeepAliveEventIds.ClientOptionOverridden"/>), as it does for a conflicting value set before
    /// <c>UseKeepAlive</c>; otherwise it is yours, and said so (event <see cref="KeepAliveEventIds.ClientProfileApplied"/>, Information).
    /// </summary>
    /// <param name="yourInterval">The heartbeat interval the client would run, as it runs it (whole seconds where it counts them); zero or less is not judged (the client's own default, or the heartbeat off).</param>
    /// <param name="left">The heartbeat interval <c>UseKeepAlive</c> left: the profile's <c>Heartbeat:Interval</c>, or the one it kept.</param>
    /// <param name="canPutBack">
    /// Whether the caller puts <paramref name="left"/> back when the value is refused (the warning then says the profile's
    /// wins, event <see cref="KeepAliveEventIds.ClientOptionOverridden"/>); <see langword="false"/> for a client that keeps
    /// the options it was given, whose connection the caller refuses instead (event
    /// <see cref="KeepAliveEventIds.ClientHeartbeatSetAfterUseKeepAliveRefused"/> says so).
    /// </param>
    /// <returns>Whether <paramref name="yourInterval"/> is kept; <see langword="false"/>: put <paramref name="left"/> back, or refuse the connection.</returns>
    public bool TakeYourHeartbeatSetAfterUseKeepAlive(TimeSpan yourInterval, TimeSpan left, bool canPutBack = true)
    {
        var setting = KeepAliveClientRules.Text($"{Client.HeartbeatSetting} (after UseKeepAlive)");
        if (KeepAliveClientRules.OutsideTheProfile(Profile.Heartbeat, Client, yourInterval) is var (missed, bound))
        {
            var (yours, fix) = (KeepAliveClientRules.Show(yourInterval), KeepAliveClientRules.Text($"set it {bound}"));
            if (canPutBack)
            {
                Log.ClientOptionOverridden(_logger, Client.ClientName, setting, yours, ProfileName, missed,
                    KeepAliveClientRules.Text($"{KeepAliveClientRules.Show(left)} (what UseKeepAlive left)"), fix);
            }
            else
            {
                Log.ClientHeartbeatSetAfterUseKeepAliveRefused(_logger, Client.ClientName, setting, yours, ProfileName, missed, KeepAliveClientRules.Show(left), fix);
            }

            return false;
        }

        if (_logger.IsEnabled(LogLevel.Information) && yourInterval > TimeSpan.Zero)
        {
            var taken = KeepAliveClientRules.Text($"{setting} is set by hand to {KeepAliveClientRules.Show(yourInterval)}, in place of the {KeepAliveClientRules.Show(left)} UseKeepAlive left, and kept: yours, within what the profile's heartbeat asks");
            Log.ClientProfileApplied(_logger, Client.ClientName, ProfileName, taken);
        }

        return true;
    }

    /// <summary>Warns that a client option set by hand conflicts with the profile, whose value wins (event <see cref="KeepAliveEventIds.ClientOptionOverridden"/>).</summary>
    /// <param name="clientSetting">The client's option, e.g. <c>ConfigurationOptions.KeepAlive</c>.</param>
    /// <param name="handSetValue">The value that was set by hand.</param>
    /// <param name="profileKey">The profile setting that wins, e.g. <c>Heartbeat:Interval</c>.</param>
    /// <param name="profileValue">The value the client gets from the profile.</param>
    public void ReportOverride(string clientSetting, string handSetValue, string profileKey, string profileValue) =>
        Log.ClientOptionOverridden(_logger, Client.ClientName, clientSetting, handSetValue, ProfileName, profileKey, profileValue, HowToKeepYours(profileKey));

    /// <summary>
    /// Warns that the client's socket hook, which carries the profile, was replaced after <c>UseKeepAlive</c> by one that does
    /// not call it, so the client opens its sockets without the profile's <c>Tcp</c> section (event
    /// <see cref="KeepAliveEventIds.ClientSocketHookReplaced"/>, Warning, with the fix). Call it when a connection is opened
    /// through the replacement; saying it once per options object is the caller's part.
    /// </summary>
    /// <param name="hookSetting">The client's hook, e.g. <c>ConnectionFactory.SocketFactory</c>.</param>
    /// <param name="replacement">What the hook holds now, e.g. the method of the delegate set in its place.</param>
    public void ReportSocketHookReplaced(string hookSetting, string replacement) =>
        Log.ClientSocketHookReplaced(_logger, Client.ClientName, ProfileName, hookSetting, replacement);

    /// <summary>
    /// What in the profile leaves a hand-set client option alone: removing the key, except for <c>Tcp:Enabled</c> (on by
    /// default: it is turned off, and with it a heartbeat the client can use when the profile has none, else the profile is
    /// refused), <c>Heartbeat:Interval</c> while <c>Tcp:Enabled</c> is false (the profile without it would be refused, so
    /// no profile is applied), <c>Heartbeat:Interval</c> when the client's own heartbeat does not beat
    /// <c>Heartbeat:PeerIdleTimeout</c> or <c>Heartbeat:Timeout</c> (the profile without it would be refused, so it is set to your value) and a <c>Tcp</c> value under <c>Tcp:UnsetValues</c> UseDefaults, where the profile writes its
    /// default in place of a value it does not set.
    /// </summary>
    private string HowToKeepYours(string profileKey) => profileKey switch
    {
        "Tcp:Enabled" when KeepAliveClientRules.HeartbeatUsable(Profile.Heartbeat, Client) => "set Tcp:Enabled to false in the profile (the client's sockets then keep their own keep-alive)",
        "Tcp:Enabled" => KeepAliveClientRules.Text(
            $"set Tcp:Enabled to false and Heartbeat:Interval (for {Client.HeartbeatSetting}) in the profile ({KeepAliveClientRules.NothingUsable(Client)} with Tcp:Enabled false alone, which is refused at start-up)"),
        "Heartbeat:Interval" when !Profile.Tcp.Enabled && !KeepAliveClientRules.TimeoutUsable(Profile.Heartbeat, Client) => AllTheProfileSets(profileKey),
        "Heartbeat:Interval" when OwnHeartbeatRefusedBy() is { } refusedBy => KeepAliveClientRules.Text(
            $"set Heartbeat:Interval in the profile to your value rather than remove it (without it {Client.ClientName} keeps its own {Client.HeartbeatSetting}, {(Client.DefaultHeartbeatInterval is { } own ? KeepAliveClientRules.Show(own) : "off")}, which {refusedBy} does not allow, and the profile is refused at start-up)"),
        "Heartbeat:Timeout" when !Profile.Tcp.Enabled && Profile.Heartbeat is not { IsIntervalSet: true } => AllTheProfileSets(profileKey),
        _ when profileKey.StartsWith("Tcp:", StringComparison.Ordinal) && Profile.Tcp.UnsetValues != TcpKeepAliveUnsetValues.KeepCurrent =>
            $"remove {profileKey} from the profile and set Tcp:UnsetValues to KeepCurrent (without it, the profile writes its default in place of what it does not set)",
        _ => RemoveFromProfile(profileKey),
    };

    /// <summary>What in the profile refuses the client's own heartbeat were the profile to set no <c>Heartbeat:Interval</c> (<see cref="KeepAliveClientRules"/>), e.g. "Heartbeat:PeerIdleTimeout 30s"; <see langword="null"/> when nothing does.</summary>
    private string? OwnHeartbeatRefusedBy() =>
        KeepAliveClientRules.OwnHeartbeatMissesThePeer(Profile.Heartbeat, Client) is not null ? $"Heartbeat:PeerIdleTimeout {Profile.Heartbeat.PeerIdleTimeout}"
        : KeepAliveClientRules.OwnHeartbeatMissesTheTimeout(Profile.Heartbeat, Client) is not null ? KeepAliveClientRules.Text($"Heartbeat:Timeout {KeepAliveClientRules.Show(Profile.Heartbeat.Timeout!.Value)}")
        : null;

    /// <summary>How to keep a hand-set option that <paramref name="profileKey"/> replaces when, with <c>Tcp:Enabled</c> false, that key is all the profile sets for the client (without it the profile is refused).</summary>
    private string AllTheProfileSets(string profileKey) => KeepAliveClientRules.Text(
        $"apply no KeepAlive profile to this client (with Tcp:Enabled false, {profileKey} is all profile '{ProfileName}' sets for it: without it {KeepAliveClientRules.NothingUsable(Client)}, which is refused at start-up)");

    /// <summary>How to keep a hand-set option that <paramref name="profileKey"/> replaces, for a key whose absence leaves it alone.</summary>
    internal static string RemoveFromProfile(string profileKey) => $"remove {profileKey} from the profile";

    /// <summary>
    /// Logs once what the profile set on the client (event <see cref="KeepAliveEventIds.ClientProfileApplied"/>,
    /// Information): the client package's notes, that <c>Heartbeat:Timeout</c> is not used when the profile sets one the
    /// client cannot take (<see cref="KeepAliveClientDescription.WithoutHeartbeatTimeout"/>), that <c>Heartbeat:Mode</c>
    /// FixedRate, <c>Heartbeat:Jitter</c>, <c>Heartbeat:Spread</c>, <c>Heartbeat:DriftWarningThreshold</c> and
    /// <c>Heartbeat:BlockedCallbackThreshold</c> are not used when the profile sets them (the client's own timer sends its
    /// heartbeat), then <see cref="Adjustments"/>.
    /// </summary>
    /// <param name="notes">What was applied, what keeps the client's own value and what the client cannot do, one sentence each.</param>
    public void ReportApplied(IEnumerable<string> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            IEnumerable<string> unusedTimeout = Profile.Heartbeat?.Timeout is not null && Client.HeartbeatTimeoutSetting is null
                ? ["Heartbeat:Timeout is not used: " + Client.WithoutHeartbeatTimeout]
                : [];
            var applied = string.Join("; ", notes.Concat(unusedTimeout).Concat(UnusedTiming()).Concat(_adjustments));
            Log.ClientProfileApplied(_logger, Client.ClientName, ProfileName, applied);
        }
    }

    /// <summary>
    /// What the profile asks of its heartbeat that only the library's own heartbeats do (<c>Heartbeat:Mode</c> FixedRate,
    /// <c>Heartbeat:Jitter</c>, <c>Heartbeat:Spread</c>, and a <c>Heartbeat:DriftWarningThreshold</c> or
    /// <c>Heartbeat:BlockedCallbackThreshold</c> other than the default): a client sends its heartbeat from its own timer,
    /// with none of them, unmeasured.
    /// </summary>
    private IEnumerable<string> UnusedTiming()
    {
        var heartbeat = Profile.Heartbeat;
        string?[] set =
        [
            heartbeat?.Mode == HeartbeatMode.FixedRate ? $"Heartbeat:Mode {HeartbeatMode.FixedRate}" : null,
            heartbeat?.Jitter > TimeSpan.Zero ? $"Heartbeat:Jitter {KeepAliveClientRules.Show(heartbeat.Jitter)}" : null,
            heartbeat?.Spread > TimeSpan.Zero ? $"Heartbeat:Spread {KeepAliveClientRules.Show(heartbeat.Spread.Value)}" : null,
            heartbeat is not null && heartbeat.DriftWarningThreshold != HeartbeatDefaults.DriftWarningThreshold ? $"Heartbeat:DriftWarningThreshold {KeepAliveClientRules.Show(heartbeat.DriftWarningThreshold)}" : null,
            heartbeat is not null && heartbeat.BlockedCallbackThreshold != HeartbeatDefaults.BlockedCallbackThreshold ? $"Heartbeat:BlockedCallbackThreshold {KeepAliveClientRules.Show(heartbeat.BlockedCallbackThreshold)}" : null,
        ];
        var unused = set.OfType<string>().ToList();
        if (unused.Count > 0)
        {
            var keys = unused.Count == 1 ? unused[0] : $"{string.Join(", ", unused[..^1])} and {unused[^1]}";
            yield return $"{keys} {(unused.Count == 1 ? "is" : "are")} not used: {Client.ClientName} sends {Client.HeartbeatSetting} from its own timer, which has no such setting";
        }
    }

    /// <summary>
    /// Warns whenever a reload of the profile is accepted that changes a value the client took once, when it was set up:
    /// its heartbeat setting (<see cref="HeartbeatInterval"/> as <see cref="KeepAliveClientDescription.HeartbeatSetting"/>)
    /// and <paramref name="moreValues"/>. The client keeps the old values; the warning (event
    /// <see cref="KeepAliveEventIds.ClientReloadNotApplied"/>) names each one, what the profile now says, and
    /// <paramref name="fix"/>. A reload that the client does not suit is reported the same way.
    /// </summary>
    /// <param name="fix">How to move the client onto the reloaded values, e.g. "build the NpgsqlDataSource again with UseKeepAlive".</param>
    /// <param name="moreValues">
    /// Other values the client takes once: each client setting with its value as the client carries it, e.g.
    /// <c>("Tcp Keepalive Time", "30 s")</c>; a setting the profile leaves to the client is absent. Called with these
    /// settings now and with the reloaded profile's settings after each accepted reload.
    /// </param>
    /// <param name="yourHeartbeat">
    /// The client's heartbeat setting as it was set by hand before the profile was applied, which it keeps while the profile
    /// sets no <c>Heartbeat:Interval</c>, so the warning names that value; <see langword="null"/> when it is the client's own default.
    /// </param>
    /// <param name="heldBy">
    /// What the client keeps for as long as it lives, and with it the values it took: the hook the package installs, which
    /// the client calls for every socket it opens, reconnections included (a socket factory, a tunnel), as do the options
    /// or factory it was made from. Held weakly: once it has been collected (every client made from it disposed and no
    /// longer referenced) the next accepted reload says nothing and releases the warning. <see langword="null"/> when the
    /// client keeps nothing of the package's: the warning then lasts as long as the registered profiles.
    /// </param>
    /// <remarks>
    /// A client set up again with the same values shares the warning, which lasts while one of them is held. Profiles
    /// that are not reloadable (an <see cref="IKeepAliveProfiles"/> of your own) never warn. Values that reach each new
    /// connection (the <c>Tcp</c> section through <see cref="ConfigureSocket"/>) do not belong in <paramref name="moreValues"/>.
    /// </remarks>
    public void WarnWhenReloadsAreNotTaken(string fix, Func<KeepAliveClientSettings, IReadOnlyDictionary<string, string>>? moreValues = null, TimeSpan? yourHeartbeat = null, object? heldBy = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fix);
        ClientReloadWatch.Warn(_profiles, ProfileName, Client.ClientName, fix, _logger, heldBy, TakenOnce(this, moreValues, yourHeartbeat),
            () => TakenOnce(Create(_profiles, ProfileName, Client), moreValues, yourHeartbeat));
    }

    private static Dictionary<string, string> TakenOnce(KeepAliveClientSettings settings, Func<KeepAliveClientSettings, IReadOnlyDictionary<string, string>>? moreValues, TimeSpan? yourHeartbeat)
    {
        var taken = moreValues is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(moreValues(settings), StringComparer.Ordinal);
        if ((settings.HeartbeatInterval ?? yourHeartbeat) is { } interval)
        {
            taken[settings.Client.HeartbeatSetting] = KeepAliveClientRules.Show(interval);
        }

        return taken;
    }
}

using System.Runtime.CompilerServices;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Applies the settings of a profile that Kestrel and <c>UseWebSockets</c> only have server-wide: the HTTP/1.1 keep-alive
/// timeout, the HTTP/2 ping delay and timeout, and the WebSocket keep-alive interval and timeout. Two endpoints whose
/// profiles disagree on one of them stop the host, naming both.
/// </summary>
internal static class ServerWideSettings
{
    // Each server-wide value a profile sets, declared once: its setting, the option's name as messages show it, where the
    // profile holds it, and how its owner (Kestrel's limits, UseWebSockets' options) reads and writes it.
    private static readonly ServerWide<KestrelServerLimits> KeepAliveTimeout =
        new("Http:KeepAliveTimeout", "Kestrel's Limits.KeepAliveTimeout", static p => p.Http.KeepAliveTimeout, static l => l.KeepAliveTimeout, static (l, v) => l.KeepAliveTimeout = v);

    // The HTTP/2 PING settings: Kestrel sends PINGs on HTTP/2 connections only (warning 3111 on an endpoint without HTTP/2).
    private static readonly ServerWide<KestrelServerLimits>[] Http2Pings =
    [
        new("Http:KeepAlivePingDelay", "Kestrel's Limits.Http2.KeepAlivePingDelay", static p => p.Http.KeepAlivePingDelay, static l => l.Http2.KeepAlivePingDelay, static (l, v) => l.Http2.KeepAlivePingDelay = v),
        new("Http:KeepAlivePingTimeout", "Kestrel's Limits.Http2.KeepAlivePingTimeout", static p => p.Http.KeepAlivePingTimeout, static l => l.Http2.KeepAlivePingTimeout, static (l, v) => l.Http2.KeepAlivePingTimeout = v),
    ];

    private static readonly ServerWide<KestrelServerLimits>[] KestrelValues = [KeepAliveTimeout, .. Http2Pings];

    private static readonly ServerWide<WebSocketOptions>[] WebSocketValues =
    [
        // services.AddSignalR() turns the interval off (SignalR sends keep-alive messages of its own): the framework's value, replaced without a word.
        new("WebSocket:KeepAliveInterval", "WebSocketOptions.KeepAliveInterval", static p => p.WebSocket.KeepAliveInterval, static o => o.KeepAliveInterval, static (o, v) => o.KeepAliveInterval = v, FrameworkValue: TimeSpan.Zero),
        new("WebSocket:KeepAliveTimeout", "WebSocketOptions.KeepAliveTimeout", static p => p.WebSocket.KeepAliveTimeout, static o => o.KeepAliveTimeout, static (o, v) => o.KeepAliveTimeout = v),
    ];

    // Every server-wide value, Kestrel's then UseWebSockets': its setting, the option's name and where the profile holds it.
    private static readonly (string Setting, string What, Func<KeepAliveProfileOptions, TimeSpan?> Of)[] AllValues =
        [.. KestrelValues.Select(static v => (v.Setting, v.What, v.Of)), .. WebSocketValues.Select(static v => (v.Setting, v.What, v.Of))];

    private static readonly ConditionalWeakTable<object, Dictionary<string, (string Profile, TimeSpan Value, ListenOptions Endpoint)>> Claims = [];

    // Per server, every profile UseKeepAlive applied (one an endpoint's later call replaced too: its server-wide values were
    // claimed), as start-up holds them to one value each for warning 3106.
    private static readonly ConditionalWeakTable<KestrelServerOptions, HashSet<string>> Applied = [];
    private static readonly ConditionalWeakTable<KestrelServerOptions, object> Verified = [];

    /// <summary>The server-wide values a profile sets, by Kestrel's or UseWebSockets' name, as they are shown in messages.</summary>
    public static Dictionary<string, string> Values(KeepAliveProfileOptions profile)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (setting, what, of) in AllValues)
        {
            if (of(profile) is { } value)
            {
                values[Named(what, setting)] = KeepAliveDuration.Format(value);
            }
        }

        return values;
    }

    /// <summary>
    /// Takes the profile's server-wide values onto Kestrel and <c>UseWebSockets</c>, once per server and profile: the first
    /// <c>UseKeepAlive</c> with the profile takes them; a later one (another endpoint, or one Kestrel binds from its reloaded
    /// configuration while it runs) leaves the values in force as they are, as warning 3106 says they stay (what a later reload
    /// of the profile sets, or code set after the first call). Returns whether this call took them (it watches the reloads).
    /// A profile refused (it disagrees with another one, or its WebSocket timeout could never run) has taken nothing: each
    /// later call with it is refused again.
    /// </summary>
    public static bool Apply(ListenOptions listenOptions, string profileName, KeepAliveProfileOptions profile, ILogger logger)
    {
        var applied = Applied.GetValue(listenOptions.KestrelServerOptions, static _ => new HashSet<string>(StringComparer.OrdinalIgnoreCase));
        lock (applied)
        {
            if (applied.Contains(profileName))
            {
                return false;
            }
        }

        Take(listenOptions, profileName, profile, logger);
        lock (applied)
        {
            return applied.Add(profileName);
        }
    }

    private static void Take(ListenOptions listenOptions, string profileName, KeepAliveProfileOptions profile, ILogger logger)
    {
        var server = listenOptions.KestrelServerOptions;
        foreach (var value in KestrelValues)
        {
            value.Apply(server, server.Limits, string.Empty, profileName, profile, listenOptions, logger);
        }

        if (!WebSocketValues.Any(v => v.Of(profile) is not null))
        {
            return;
        }

        // UseWebSockets() reads these options when each WebSocket is accepted, so setting them while Kestrel binds reaches every
        // WebSocket. Replacing a value other code set (Configure<WebSocketOptions>) is said, as for Kestrel's limits.
        var webSockets = listenOptions.ApplicationServices.GetRequiredService<IOptions<WebSocketOptions>>().Value;
        var leftByOthers = webSockets.KeepAliveInterval;
        foreach (var value in WebSocketValues)
        {
            value.Apply(webSockets, webSockets, " of UseWebSockets", profileName, profile, listenOptions, logger);
        }

        if (TimeoutWithoutPing(profile, leftByOthers) is { } timeout)
        {
            throw new InvalidOperationException(
                $"{Calls.With(Calls.UseKeepAlive, profileName)}: the profile sets WebSocket:KeepAliveTimeout to {KeepAliveDuration.Format(timeout)} and no WebSocket:KeepAliveInterval, but the KeepAliveInterval of UseWebSockets is 0s (services.AddSignalR() turns it off, as SignalR sends keep-alive messages of its own, or other code set it), so no PING is ever sent and the timeout never detects a dead peer. Fix: {NoPingFix}.");
        }
    }

    /// <summary>
    /// For warning 3106 after an accepted reload of <paramref name="profileName"/>: each server-wide value it now sets that
    /// another profile applied with <c>UseKeepAlive</c> on <paramref name="server"/> now sets otherwise, which start-up refuses
    /// (two profiles disagreeing stop the host), so a restart alone does not apply it: why, and the step the fix asks for first.
    /// </summary>
    public static List<(string Refused, string Step)> Disagreements(KestrelServerOptions server, string profileName, IKeepAliveProfiles profiles)
    {
        var disagreements = new List<(string Refused, string Step)>();
        if (!Applied.TryGetValue(server, out var applied))
        {
            return disagreements;
        }

        string[] others;
        lock (applied)
        {
            others = [.. applied.Where(p => !string.Equals(p, profileName, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)];
        }

        var profile = profiles.GetProfile(profileName);
        foreach (var (setting, _, of) in AllValues)
        {
            foreach (var other in others)
            {
                if (of(profile) is { } value && of(profiles.GetProfile(other)) is { } theirs && theirs != value)
                {
                    var both = $"profiles '{profileName}' and '{other}'";
                    disagreements.Add(($"{both} set the server-wide {setting} to {KeepAliveDuration.Format(value)} and {KeepAliveDuration.Format(theirs)}", Agree(both, setting)));
                }
            }
        }

        return disagreements;
    }

    /// <summary>The fix when two profiles set one server-wide value differently (<paramref name="profiles"/>, as the message names them).</summary>
    private static string Agree(string profiles, string setting) => $"give {profiles} the same {setting}, or set it in one of them only";

    /// <summary>The fix of a WebSocket timeout with no PING to run on (<see cref="TimeoutWithoutPing"/>): at start-up, and after a reload that sets one.</summary>
    public const string NoPingFix = "set WebSocket:KeepAliveInterval in the profile, for example \"30s\", or remove WebSocket:KeepAliveTimeout";

    /// <summary>
    /// The profile's <c>WebSocket:KeepAliveTimeout</c> when it can never run, which start-up refuses: the profile sets no
    /// interval, and the one <paramref name="leftByOthers"/> in <c>UseWebSockets</c>' options is 0s (the profile's rule takes an
    /// unset interval for the platform's 2 min, but <c>services.AddSignalR()</c> turns it off, as SignalR sends keep-alive
    /// messages of its own), so no PING is sent; <see langword="null"/> when the rule holds.
    /// </summary>
    private static TimeSpan? TimeoutWithoutPing(KeepAliveProfileOptions profile, TimeSpan leftByOthers) =>
        profile.WebSocket.KeepAliveTimeout is { } timeout && (profile.WebSocket.KeepAliveInterval ?? leftByOthers) == TimeSpan.Zero ? timeout : null;

    /// <summary>
    /// Whether start-up would refuse <paramref name="profile"/> for a WebSocket timeout with no PING, against the interval of
    /// <c>UseWebSockets</c> that the other code leaves (its options built again, without the profile's values).
    /// </summary>
    public static bool RefusesTimeoutWithoutPing(KeepAliveProfileOptions profile, IServiceProvider services) =>
        profile.WebSocket.KeepAliveTimeout is not null
        && TimeoutWithoutPing(profile, services.GetRequiredService<IOptionsFactory<WebSocketOptions>>().Create(Options.DefaultName).KeepAliveInterval) is not null;

    // A server-wide value as warning 3106 names it: the option, then the profile's setting.
    private static string Named(string what, string setting) => $"{what} ({setting})";

    /// <summary>How warning 3106 marks a Kestrel limit in force that code set after the call.</summary>
    public static readonly string SetAfterTheCall = ReloadWatch.SetInCodeAfter(Calls.UseKeepAlive);

    /// <summary>
    /// For warning 3106: each Kestrel limit a profile set that other code changed since (what 3107 says), by the name
    /// <see cref="Values"/> gives it, as it is in force.
    /// </summary>
    public static Dictionary<string, string> InForce(KestrelServerOptions server)
    {
        var inForce = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Claims.TryGetValue(server, out var claims))
        {
            lock (claims)
            {
                foreach (var value in KestrelValues.Where(v => claims.TryGetValue(v.Setting, out var claim) && v.Get(server.Limits) != claim.Value))
                {
                    inForce[Named(value.What, value.Setting)] = FrameworkDuration.Format(value.Get(server.Limits)) + SetAfterTheCall;
                }
            }
        }

        return inForce;
    }

    /// <summary>
    /// Once per server, at its first connection (when every configuration callback has run): warns for each Kestrel limit a
    /// profile set that other code has changed since, so the server runs with a value the profile did not validate.
    /// </summary>
    public static void VerifyOnce(KestrelServerOptions server, ILogger logger)
    {
        if (Verified.TryGetValue(server, out _) || !Verified.TryAdd(server, server) || !Claims.TryGetValue(server, out var claims))
        {
            return;
        }

        lock (claims)
        {
            foreach (var value in KestrelValues.Where(v => claims.ContainsKey(v.Setting)).OrderBy(static v => v.Setting, StringComparer.Ordinal))
            {
                var claim = claims[value.Setting];
                if (value.Get(server.Limits) is var actual && actual != claim.Value)
                {
                    Log.ServerWideSettingOverridden(logger, value.What, FrameworkDuration.Format(actual), KeepAliveDuration.Format(claim.Value), claim.Profile, value.Setting);
                }
            }
        }
    }

    /// <summary>
    /// When Kestrel binds an endpoint with <c>UseKeepAlive</c>, or with <c>UseTcpKeepAlive</c> (<paramref name="tcpOnly"/>), every
    /// configuration callback has run by then; said once the host has started, by when the endpoint has its bound address: where
    /// the profile states a middlebox (<c>Heartbeat:PeerIdleTimeout</c>) but Kestrel does not run with the profile's
    /// <c>Http:KeepAliveTimeout</c> (the profile sets none, or <c>UseTcpKeepAlive</c> applies none), holds the keep-alive timeout
    /// Kestrel runs with (its default, a value set in code, or another profile's) to the rule the profile's own is held to; warns
    /// once per server, profile and call, and again after an accepted reload that breaks the rule anew (a new peer idle timeout).
    /// </summary>
    public static void WarnIfKestrelClosesFirst(ListenOptions listenOptions, string profileName, IKeepAliveProfiles profiles, ILogger logger, bool tcpOnly = false)
    {
        var server = listenOptions.KestrelServerOptions;
        var said = ClosesFirstSaid.GetValue(server, static _ => new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase));

        // Each call has its say: the fix differs (UseTcpKeepAlive applies no Http:KeepAliveTimeout).
        var call = Calls.With(tcpOnly ? Calls.UseTcpKeepAlive : Calls.UseKeepAlive, profileName);
        lock (said)
        {
            if (!said.TryAdd(call, null))
            {
                return;
            }
        }

        void Check() => SayIfKestrelClosesFirst(listenOptions, profileName, profiles, logger, said, call, tcpOnly);

        WhenBound(listenOptions, Check);

        // The profile's own rules pass a reload that moves the peer over the timeout Kestrel runs with, which the profile does not set.
        listenOptions.ApplicationServices.GetService<KeepAliveProfiles>()?.WatchAcceptedReloads(
            profileName, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Kestrel {RuntimeHelpers.GetHashCode(server)}, {call}: {KeepAliveTimeout.What} against Heartbeat:PeerIdleTimeout"), heldBy: null, Check);
    }

    /// <summary>
    /// When Kestrel binds an endpoint with <c>UseKeepAlive</c> (its protocols final by then) that serves no HTTP/2 while the
    /// profile sets HTTP/2 PING settings: warning 3111, naming the endpoint, the profile, the settings and the fix, said
    /// once the host has started (by when the endpoint has its bound address).
    /// </summary>
    public static void WarnIfPingsWithoutHttp2(ListenOptions listenOptions, string profileName, KeepAliveProfileOptions profile, ILogger logger)
    {
        var settings = Http2Pings.Where(p => p.Of(profile) is not null).Select(static p => p.Setting).ToArray();
        if ((listenOptions.Protocols & HttpProtocols.Http2) == 0 && settings.Length > 0)
        {
            WhenBound(listenOptions, () => Log.KestrelEndpointWithoutHttp2ForPings(logger, listenOptions.EndPoint.ToString() ?? "", listenOptions.Protocols.ToString(), profileName, string.Join(" and ", settings)));
        }
    }

    // Kestrel sets the endpoint's bound address (the port the system picked for port 0) once it has bound it, after
    // building its pipeline, where the warnings about it are found: they wait until the host has started, every endpoint
    // bound (at once for an endpoint bound later, from a reloaded Kestrel configuration).
    private static void WhenBound(ListenOptions listenOptions, Action say)
    {
        if (listenOptions.ApplicationServices.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStarted.Register(say);
        }
        else
        {
            say();
        }
    }

    // Warning 3110 when the rule's finding for the call differs from the one last said (null: the rule holds). The profile's own
    // rules hold its Http:KeepAliveTimeout to its peer; Kestrel's is held here wherever Kestrel runs without the profile's value:
    // UseTcpKeepAlive applies the Tcp section only, the profile sets none, or a reload changed it after Kestrel took it (3106).
    private static void SayIfKestrelClosesFirst(ListenOptions listenOptions, string profileName, IKeepAliveProfiles profiles, ILogger logger, Dictionary<string, string?> said, string call, bool tcpOnly)
    {
        var server = listenOptions.KestrelServerOptions;
        var profile = profiles.GetProfile(profileName);
        var claimed = Claims.TryGetValue(server, out var claims) ? ClaimOf(claims, KeepAliveTimeout.Setting) : null;

        // What Kestrel took from this profile when it applied it (null: none, Kestrel's value is another profile's, the default or code's).
        var taken = claimed is { } own && string.Equals(own.Profile, profileName, StringComparison.OrdinalIgnoreCase) ? own.Value : (TimeSpan?)null;
        var setByProfile = KeepAliveTimeout.Of(profile);
        string? rule = null;
        if (profile.Heartbeat?.PeerIdleTimeout is { } peer && (tcpOnly || setByProfile is null || setByProfile != taken))
        {
            var inForce = KeepAliveTimeout.Get(server.Limits);

            // Server-wide: another endpoint's profile that sets it sets it here too, and the fix belongs in that profile (set in
            // this one, the two would disagree and stop the host).
            var (source, fixSets) = claimed is { } claim && claim.Value == inForce
                ? (taken is not null ? "taken from the profile when Kestrel bound the endpoint" : $"server-wide: KeepAlive profile '{claim.Profile}' sets it on endpoint {claim.Endpoint.EndPoint}", $"{KeepAliveTimeout.Setting} in KeepAlive profile '{claim.Profile}'")
                : (inForce == KeepAliveTimeout.Get(new KestrelServerLimits()) ? "Kestrel's default" : "set in code",
                    tcpOnly ? $"k.Limits.KeepAliveTimeout in code, or {KeepAliveTimeout.Setting} in the profile applied with {Calls.With(Calls.UseKeepAlive, profileName)} in place of UseTcpKeepAlive," : KeepAliveTimeout.Setting);

            // Where the profile Kestrel took the value in force from now gives one above the peer (a reload, which Kestrel does not
            // take: 3106), the restart that applies it is the fix; after removing an assignment in code that wins over it.
            var restartApplies = claimed is { } from && from.Value == inForce && KeepAliveTimeout.Of(profiles.GetProfile(from.Profile)) is { } now && now != inForce && now > peer.Value
                ? RestartApplies(taken is not null ? "the profile's" : $"KeepAlive profile '{from.Profile}''s", now)
                : null;
            (string NotApplied, string? Fix) why = (tcpOnly, setByProfile) switch
            {
                (true, _) => ($"{call} applies no {KeepAliveTimeout.Setting}, only the profile's Tcp section", null),
                (false, null) => ($"the profile sets no {KeepAliveTimeout.Setting}", restartApplies),

                // The profile's own is above the peer (its rules hold it): a restart applies it, once code after the call no longer wins over it.
                (false, { } reloaded) => ($"the profile's {KeepAliveDuration.Format(reloaded)}, from a reload, reaches Kestrel at a restart, as warning 3106 says",
                    restartApplies ?? (taken is not null && inForce != taken ? $"{ReloadWatch.RemoveAssignments([$"the assignments of k.Limits.KeepAliveTimeout in code after {Calls.UseKeepAlive}"])}, then " : string.Empty)
                        + RestartApplies("the profile's", reloaded)),
            };
            rule = HttpProfileRules.ServerClosesFirst($"{KeepAliveTimeout.What} ({source}; {why.NotApplied})", inForce, peer, fixSets, why.Fix);
        }

        lock (said)
        {
            if (said[call] == rule)
            {
                return;
            }

            said[call] = rule;
        }

        if (rule is not null)
        {
            Log.KestrelKeepAliveTimeoutNotLongerThanPeer(logger, profileName, listenOptions.EndPoint.ToString() ?? "", rule);
        }
    }

    // The fix of 3110 where a profile gives a keep-alive timeout above the peer that Kestrel has not taken (a reload: 3106).
    private static string RestartApplies(string whose, TimeSpan value) =>
        $"restart the service, so that Kestrel takes {whose} {KeepAliveTimeout.Setting} {KeepAliveDuration.Format(value)}";

    private static (string Profile, TimeSpan Value, ListenOptions Endpoint)? ClaimOf(Dictionary<string, (string Profile, TimeSpan Value, ListenOptions Endpoint)> claims, string setting)
    {
        lock (claims)
        {
            return claims.TryGetValue(setting, out var claim) ? claim : null;
        }
    }

    // Per server, the calls (UseKeepAlive or UseTcpKeepAlive, and the profile) checked for warning 3110 (an endpoint bound on two
    // addresses is built twice), each with what it last said.
    private static readonly ConditionalWeakTable<KestrelServerOptions, Dictionary<string, string?>> ClosesFirstSaid = [];

    // Whether a profile claimed the setting first (false: the value in place is the framework's or other code's).
    private static bool Claim(object owner, string setting, string what, string profileName, TimeSpan value, ListenOptions endpoint)
    {
        var claims = Claims.GetOrCreateValue(owner);
        lock (claims)
        {
            var claimed = claims.TryGetValue(setting, out var earlier);
            if (claimed && earlier.Value != value && !string.Equals(earlier.Profile, profileName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{what} is server-wide, but KeepAlive profile '{earlier.Profile}' sets {setting} to {KeepAliveDuration.Format(earlier.Value)} and profile '{profileName}' to {KeepAliveDuration.Format(value)} {(ReferenceEquals(earlier.Endpoint, endpoint) ? $"on the same endpoint {endpoint} (the later UseKeepAlive on an endpoint, its own call after ConfigureEndpointDefaults' or a second call on it, replaces the earlier profile there, but not the server-wide values that profile set)" : "on another endpoint")}. Fix: {Agree("both profiles", setting)}.");
            }

            claims[setting] = (profileName, value, endpoint);
            return claimed;
        }
    }

    /// <summary>
    /// One server-wide value of <typeparamref name="TOwner"/> that a profile may set; <paramref name="FrameworkValue"/>: a value
    /// the framework's own code sets (not the application's), which the profile replaces without a word.
    /// </summary>
    private sealed record ServerWide<TOwner>(string Setting, string What, Func<KeepAliveProfileOptions, TimeSpan?> Of, Func<TOwner, TimeSpan> Get, Action<TOwner, TimeSpan> Set, TimeSpan? FrameworkValue = null)
        where TOwner : new()
    {
        // Claims the value for the profile on the claims' owner (two profiles that disagree stop the host), then sets it,
        // saying so to `logger` when it replaces a value other code set (neither the default nor the framework's value).
        public void Apply(object claimsOwner, TOwner owner, string whereSuffix, string profileName, KeepAliveProfileOptions profile, ListenOptions endpoint, ILogger logger)
        {
            if (Of(profile) is { } value)
            {
                var before = Get(owner);
                if (!Claim(claimsOwner, Setting, What + whereSuffix, profileName, value, endpoint) && before != value && before != Get(new TOwner()) && before != FrameworkValue)
                {
                    Log.ServerWideSettingReplaced(logger, What + whereSuffix, FrameworkDuration.Format(before), KeepAliveDuration.Format(value), profileName, Setting);
                }

                Set(owner, value);
            }
        }
    }
}

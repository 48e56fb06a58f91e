using System.Globalization;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace KeepAlive.Net.StackExchangeRedis;

/// <summary>Applies a keep-alive profile to every connection a StackExchange.Redis multiplexer opens.</summary>
public static class KeepAliveRedisExtensions
{
    private const string HeartbeatIntervalSetting = "ConfigurationOptions.HeartbeatInterval";

    /// <summary>Gets how StackExchange.Redis takes a profile: <c>Heartbeat:Interval</c> as <see cref="ConfigurationOptions.KeepAlive"/> (whole seconds; <see cref="DefaultOptionsProvider.KeepAliveInterval"/>, 60 s, without it), no heartbeat timeout.</summary>
    public static KeepAliveClientDescription Client { get; } = new("StackExchange.Redis", "ConfigurationOptions.KeepAlive", DefaultOptionsProvider.GetProvider(new EndPointCollection()).KeepAliveInterval)
    {
        WithoutHeartbeatTimeout = "StackExchange.Redis has no heartbeat timeout: a dead connection is found by TCP keep-alive (and TCP_USER_TIMEOUT once a PING goes unacknowledged (the server's host is gone)) or after commands time out; a server that hangs while its kernel still acknowledges TCP is found only by commands timing out",
    };

    /// <summary>
    /// Applies a keep-alive profile to the multiplexer built from these options: its <c>Tcp</c> section to every socket
    /// (interactive and subscription, first connection and every reconnection) through
    /// <see cref="ConfigurationOptions.Tunnel"/>, once the socket has connected and before a byte is sent (configured before
    /// the connect, a socket to a host name could no longer fall back to the name's next address), read back from the
    /// kernel and logged; and its <c>Heartbeat:Interval</c>, when the profile sets it, as <see cref="ConfigurationOptions.KeepAlive"/>
    /// (the PING sent on an idle connection, in whole seconds, rounded down).
    /// </summary>
    /// <param name="options">The options, before <c>ConnectionMultiplexer.Connect</c>.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid or does not suit StackExchange.Redis (the message names the setting, its value and the fix), also with your <see cref="ConfigurationOptions.KeepAlive"/> where the profile sets no <c>Heartbeat:Interval</c>.</exception>
    /// <remarks>
    /// A <see cref="ConfigurationOptions.BeforeSocketConnect"/> of yours is kept and runs before the connect; the profile is
    /// applied after it, so the profile's keep-alive wins. A <see cref="ConfigurationOptions.Tunnel"/> of yours (an HTTP
    /// proxy) is wrapped and still decides where and how to connect; one set after this call must wrap the one it installs:
    /// one in its place opens sockets without the profile, which the first connection made through it says (event 3206, once
    /// per call; this call wraps <see cref="ConfigurationOptions.BeforeSocketConnect"/> to see it). A <see cref="ConfigurationOptions.KeepAlive"/> you set by hand is kept
    /// unless the profile sets <c>Heartbeat:Interval</c>; then the profile wins and a warning says so (event 3202), as it does for
    /// a <see cref="ConfigurationOptions.HeartbeatInterval"/> of yours longer than that <c>KeepAlive</c> (StackExchange.Redis sends
    /// the PING only at a heartbeat; it goes back to the default, read here from options with end points, or at the first
    /// connection made with options that get theirs after this call, before the multiplexer starts its heartbeat). Each
    /// socket gets the profile's values at the time it connects, so a configuration reload reaches reconnections; the
    /// PING interval is read once, here. StackExchange.Redis has no heartbeat timeout, so <c>Heartbeat:Timeout</c> is not used.
    /// A <see cref="ConfigurationOptions.KeepAlive"/> of yours that the profile leaves to you, over what
    /// <c>Heartbeat:PeerIdleTimeout</c> allows, is refused here; one set after this call is seen at each connection: over it,
    /// it goes back to the value this call left (warning 3202), else it is yours (said once, event 3201).
    /// </remarks>
    public static ConfigurationOptions UseKeepAlive(this ConfigurationOptions options, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = KeepAliveClientSettings.Create(profiles, profileName, Client);
        var notes = new List<string>();
        const string Call = "ConfigurationOptions.UseKeepAlive";
        var stated = options.EndPoints.Count > 0 ? options : Stated(options);
        // The options' own defaults once they have end points (a DefaultOptionsProvider of yours in ConfigurationOptions.Defaults
        // included): a value of theirs is not set by hand. Without end points, reading Defaults would fix them (see Stated).
        var defaults = options.EndPoints.Count > 0 ? options.Defaults : DefaultOptionsProvider.GetProvider(options.EndPoints);
        var copied = KeepAliveRedisTunnel.Within(options.Tunnel);
        var again = copied is not null;
        if (copied is not null)
        {
            // A copy (ConfigurationOptions.Clone) carries the tunnel of the options it was made from (or a LoggingTunnel wrapping
            // it): it takes that profile, so the same one again wraps your own tunnel once and another is refused, as on the options themselves.
            AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.ClaimCopy(options, copied, copied.ProfileName, copied.Yours, Call);
        }

        // Installed even while Tcp is off: the tunnel reads the profile at each connection, so a reload turning it on reaches the next one.
        var yours = AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.Claim(
            options, settings.ProfileName, options.Tunnel, Call);
        var keepAlive = stated.KeepAlive;

        // Yours: as the options had it before any UseKeepAlive on them (or on those they were copied from) set the profile's,
        // so that a call again after a reload (warning 3204's fix) gives it back when the reloaded profile no longer sets it.
        var ownKeepAlive = AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.Yours(options, "ConfigurationOptions.KeepAlive", keepAlive);

        // Named in 3204 unless it is StackExchange.Redis's own: a DefaultOptionsProvider of yours gives its value by name. Kept
        // where the profile sets no Heartbeat:Interval, it is judged against the profile before the options are changed
        // (after the claim, through which a copy takes what was set on the options it was made from).
        TimeSpan? yourKeepAlive = ownKeepAlive > 0 && TimeSpan.FromSeconds(ownKeepAlive) != Client.DefaultHeartbeatInterval ? TimeSpan.FromSeconds(ownKeepAlive) : null;
        if (yourKeepAlive is { } kept)
        {
            settings.ThrowIfYourHeartbeatMissesTheTimeout(kept);
        }

        var tunnel = new KeepAliveRedisTunnel(settings, yours);
        options.Tunnel = tunnel;
        AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.Installed(options, options.Tunnel);
        TunnelWatch.Watch(options, settings);
        var overTcp = options.EndPoints.Count == 0 || options.EndPoints.Any(static e => e is not System.Net.Sockets.UnixDomainSocketEndPoint);
        if (settings.Tcp is not null && !again && overTcp)
        {
            // Not again on a second call or a copy: TcpKeepAlive stays yours (it applies while a reload turns Tcp off).
            // Nor on Unix domain sockets only: the profile applies nothing there (event 3203). No end points yet counts as TCP.
            settings.ReportIfOverridden("ConfigurationOptions.TcpKeepAlive", stated.TcpKeepAlive, defaults.TcpKeepAlive, "Tcp:Enabled", true, static on => on ? "true" : "false");
        }

        notes.Add(settings.Tcp is not null
            ? overTcp
                ? "Tcp on every socket once connected, through ConfigurationOptions.Tunnel" + (yours is null ? string.Empty : ", wrapping your own tunnel" + NoLongerInTheString(yours))
                : "every end point is a Unix domain socket, which has no TCP keep-alive: the Tcp section is not applied (event 3203 for each connection), and only KeepAlive, the PING, watches the connection"
            : stated.TcpKeepAlive
                ? "Tcp:Enabled is false: sockets keep StackExchange.Redis's own keep-alive (SO_KEEPALIVE with the kernel's times) until a reload turns it on"
                : "Tcp:Enabled is false: sockets keep StackExchange.Redis's own settings, without keep-alive (ConfigurationOptions.TcpKeepAlive is false), until a reload turns it on");

        var defaultKeepAlive = (int)defaults.KeepAliveInterval.TotalSeconds;
        if (settings.HeartbeatInterval is { } interval)
        {
            var seconds = (int)interval.TotalSeconds;
            AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.ReportIfOverridden(options, profiles, settings, "ConfigurationOptions.KeepAlive", keepAlive, defaultKeepAlive, "Heartbeat:Interval", seconds, Seconds);
            options.KeepAlive = seconds;
            notes.Add(Invariant($"KeepAlive (PING when idle) every {Seconds(seconds)} from Heartbeat:Interval"));

            // Read only with end points: HeartbeatInterval is not in the configuration string Stated reads, and reading it from
            // options without end points would fix their Defaults (see Stated). Without them, the first connection made with
            // these options reads it, before the multiplexer does (it starts its heartbeat once connected).
            if (options.EndPoints.Count > 0)
            {
                KeepPingOnTime(options, settings, seconds);
            }

            // Again at the first connection: a HeartbeatInterval set after this call is put back as one set before it is.
            tunnel.KeepPingOnTimeAtFirstConnection(options, seconds);
        }
        else
        {
            if (ownKeepAlive != keepAlive)
            {
                options.KeepAlive = ownKeepAlive;
            }

            // Put back by an earlier call only on options with end points (KeepPingOnTime), where it may be read.
            if (options.EndPoints.Count > 0 && options.HeartbeatInterval is var heartbeat
                && AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.Yours(options, HeartbeatIntervalSetting, heartbeat) is var yourHeartbeat && yourHeartbeat != heartbeat)
            {
                options.HeartbeatInterval = yourHeartbeat;
            }

            notes.Add(ownKeepAlive > 0
                ? Invariant($"KeepAlive stays {Seconds(ownKeepAlive)} (Heartbeat:Interval is not set)")
                : Invariant($"KeepAlive stays {ownKeepAlive}, which StackExchange.Redis reads as a PING after {Seconds(defaultKeepAlive)} idle, or sooner when the server's timeout setting asks (it reads CONFIG GET timeout) (Heartbeat:Interval is not set)"));
        }

        tunnel.KeepAliveLeft(options, settings.HeartbeatInterval is null ? ownKeepAlive : (int)settings.HeartbeatInterval.Value.TotalSeconds);
        settings.ReportApplied(notes);
        settings.WarnWhenReloadsAreNotTaken(
            "connect a new ConnectionMultiplexer with ConfigurationOptions.UseKeepAlive (its sockets already follow reloads, also on reconnection; ConfigurationOptions.KeepAlive is fixed when the multiplexer connects)",
            yourHeartbeat: yourKeepAlive,
            heldBy: options.Tunnel); // every multiplexer connected with these options (or a copy) connects through it, also on reconnection
        return options;
    }

    /// <summary>Applies a keep-alive profile registered in the container, as <see cref="UseKeepAlive(ConfigurationOptions, IKeepAliveProfiles, string)"/> does; for factory code such as <c>services.AddSingleton&lt;IConnectionMultiplexer&gt;(sp =&gt; ...)</c>.</summary>
    /// <param name="options">The options, before <c>ConnectionMultiplexer.Connect</c>.</param>
    /// <param name="services">The service provider holding <see cref="IKeepAliveProfiles"/> (<c>services.AddKeepAlive(...)</c>).</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The options, for chaining.</returns>
    public static ConfigurationOptions UseKeepAlive(this ConfigurationOptions options, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        return options.UseKeepAlive(RegisteredProfiles.From(services, "options.UseKeepAlive", profileName), profileName);
    }

    /// <summary>
    /// Puts back StackExchange.Redis's default <see cref="ConfigurationOptions.HeartbeatInterval"/> in place of a longer one
    /// of yours, with warning 3202: StackExchange.Redis sends the <see cref="ConfigurationOptions.KeepAlive"/> PING only at
    /// its heartbeat, so a longer one makes the PING late by up to that much. Only on options with end points (see <see cref="Stated"/>).
    /// </summary>
    /// <param name="options">The options, with their end points, before the multiplexer reads them.</param>
    /// <param name="settings">The profile's settings, for the warning.</param>
    /// <param name="seconds">The PING interval <c>UseKeepAlive</c> set from <c>Heartbeat:Interval</c>.</param>
    internal static void KeepPingOnTime(ConfigurationOptions options, KeepAliveClientSettings settings, int seconds)
    {
        if (options.HeartbeatInterval > TimeSpan.FromSeconds(seconds))
        {
            var byDefault = options.Defaults.HeartbeatInterval;
            settings.ReportOverride(HeartbeatIntervalSetting, KeepAliveDuration.Format(options.HeartbeatInterval), "Heartbeat:Interval",
                Invariant($"{KeepAliveDuration.Format(byDefault)} (StackExchange.Redis's default: it sends the KeepAlive PING, every {Seconds(seconds)}, only at a heartbeat, so a longer HeartbeatInterval makes it late)"));
            AppliedProfiles<ConfigurationOptions, StackExchange.Redis.Configuration.Tunnel?>.Took(options, HeartbeatIntervalSetting, options.HeartbeatInterval, byDefault);
            options.HeartbeatInterval = byDefault;
        }
    }

    /// <summary>
    /// Gets what options that have no end points yet state (<see cref="ConfigurationOptions.KeepAlive"/>,
    /// <see cref="ConfigurationOptions.TcpKeepAlive"/>), without reading it from them: StackExchange.Redis picks their
    /// <see cref="ConfigurationOptions.Defaults"/> from the end points the first time a value falls back on them, and keeps
    /// them (<see cref="ConfigurationOptions.Clone"/> does too), so a read now would give end points added afterwards the
    /// generic defaults (AbortOnConnectFail true for Azure Cache for Redis). Read from a copy parsed from what the options
    /// state instead (their configuration string, where a value appears only when set).
    /// </summary>
    private static ConfigurationOptions Stated(ConfigurationOptions options) =>
        options.ToString(includePassword: false) is { Length: > 0 } stated
            ? ConfigurationOptions.Parse(stated, ignoreUnknown: true)
            : new ConfigurationOptions();

    /// <summary>
    /// What the applied line says of a tunnel of yours that <see cref="ConfigurationOptions.ToString()"/> showed (its own HTTP
    /// proxy, <c>tunnel=http:...</c>): StackExchange.Redis writes only its own tunnel into the string, so once wrapped the proxy
    /// is gone from it (and from <c>multiplexer.Configuration</c>), and options parsed from it connect straight to the server.
    /// </summary>
    private static string NoLongerInTheString(StackExchange.Redis.Configuration.Tunnel yours) =>
        new ConfigurationOptions { Tunnel = yours }.ToString(includePassword: false).Split(',').FirstOrDefault(static o => o.StartsWith("tunnel=", StringComparison.OrdinalIgnoreCase)) is { } shown
            ? $" ({shown}, which ConfigurationOptions.ToString() no longer shows: StackExchange.Redis writes only its own tunnel there, so options parsed from that string connect without your proxy and without the profile; copy them with ConfigurationOptions.Clone())"
            : string.Empty;

    private static string Seconds(int seconds) => KeepAliveDuration.Format(TimeSpan.FromSeconds(seconds));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

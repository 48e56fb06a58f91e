using System.Globalization;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats;

/// <summary>Applies a keep-alive profile to every connection a NATS.Net client opens.</summary>
public static class KeepAliveNatsExtensions
{
    /// <summary>Gets how NATS.Net takes a profile: <c>Heartbeat:Interval</c> as <see cref="NatsOpts.PingInterval"/> (that of <see cref="NatsOpts.Default"/>, 2 min, without it) and <c>Heartbeat:Timeout</c> as <see cref="NatsOpts.MaxPingOut"/>.</summary>
    public static KeepAliveClientDescription Client { get; } = new("NATS.Net", "NatsOpts.PingInterval", NatsOpts.Default.PingInterval)
    {
        HeartbeatTimeoutSetting = "NatsOpts.MaxPingOut",
        HeartbeatInWholeSeconds = false, // a TimeSpan, the period of NATS.Net's PeriodicTimer
    };

    /// <summary>
    /// Returns options that apply a keep-alive profile to every connection: its <c>Tcp</c> section to every socket (first
    /// connection and every reconnection, plain or upgraded to TLS) through <see cref="NatsOpts.SocketConnectionFactory"/>,
    /// once the socket has connected and before NATS.Net sends a byte, read back from the kernel and logged; its <c>Heartbeat:Interval</c>, when the profile
    /// sets it, as <see cref="NatsOpts.PingInterval"/> (as written, 250 ms or 2.5 s: NATS.Net takes a <see cref="TimeSpan"/>, the period of its timer); and its <c>Heartbeat:Timeout</c> as
    /// <see cref="NatsOpts.MaxPingOut"/> = ceil(Timeout / PingInterval), the unanswered PINGs after which the client
    /// drops the connection and reconnects. NATS.Net counts them only when it sends the next PING, so a silent server is
    /// dropped MaxPingOut x PingInterval to (MaxPingOut + 1) x PingInterval after it went silent: never before the timeout,
    /// and up to two intervals after it when the timeout is not a multiple of the interval (the log line gives the window).
    /// </summary>
    /// <param name="options">The options (a record: they are not changed).</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>New options carrying the profile.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered; <see cref="NatsOpts.SocketConnectionFactory"/> is already set (its sockets are out of reach); or the URL mixes <c>ws://</c> and TCP servers, or lists none.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid or does not suit NATS.Net (the message names the setting, its value and the fix), also with your <see cref="NatsOpts.PingInterval"/>: a <c>Heartbeat:Timeout</c> without <c>Heartbeat:Interval</c> not longer than yours, which NATS.Net then keeps.</exception>
    /// <remarks>
    /// WebSocket servers (<c>ws://</c>, <c>wss://</c>): NATS.Net's WebSocket connection is internal and opens its own
    /// socket, so the <c>Tcp</c> section cannot reach it; with only WebSocket URLs the heartbeat settings are applied and
    /// the log line says the <c>Tcp</c> section is not; the options returned then carry the profile in a
    /// <see cref="NatsWebSocketOpts.ConfigureClientWebSocketOptions"/> that runs yours, so a copy of them takes the same one. A <see cref="NatsOpts.PingInterval"/> or
    /// <see cref="NatsOpts.MaxPingOut"/> set by hand is kept unless the profile sets the matching value; then the profile
    /// wins and a warning says so (event 3202). One set after this call on a copy of the options it returns
    /// (<c>with { PingInterval = ... }</c>) is seen at each TCP connection: within what the profile's heartbeat asks it is yours
    /// (said once, event 3201); outside it warning 3207 gives the bound and the connection is refused, as NATS.Net keeps the
    /// options it was given and the value cannot be put back. NATS.Net sends its PINGs from a thread-pool timer; the kernel's keep-alive
    /// is what no thread-pool starvation can delay.
    /// </remarks>
    public static NatsOpts UseKeepAlive(this NatsOpts options, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = KeepAliveClientSettings.Create(profiles, profileName, Client);
        var notes = new List<string>();
        var earlier = NatsProfileTaken.Of(options);
        if (earlier is not null && !string.Equals(earlier.ProfileName, settings.ProfileName, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"NatsOpts.UseKeepAlive(\"{settings.ProfileName}\"): these options already take KeepAlive profile '{earlier.ProfileName}', and one connection's sockets and heartbeat follow one profile (the last call would silently mix them). Fix: call UseKeepAlive once per NatsOpts, with one profile.");
        }

        // What an earlier UseKeepAlive set on these options (or the options they were copied from) is not yours: it goes back
        // to what it replaced (yours, or NATS.Net's own), so it is not reported as set by hand, nor named as yours when a
        // reload changes it, and a reload since then that dropped the profile's value is taken as 3204 says.
        options = earlier?.Undo(options) ?? options;
        var result = WithSocketFactory(options, settings, notes, out var refusedWithTcp);
        TimeSpan? yourPingInterval = options.PingInterval != NatsOpts.Default.PingInterval ? options.PingInterval : null;
        if (yourPingInterval is { } yours)
        {
            settings.ThrowIfYourHeartbeatMissesTheTimeout(yours);
        }

        int? yourMaxPingOut = options.MaxPingOut != NatsOpts.Default.MaxPingOut ? options.MaxPingOut : null;
        var taken = new NatsProfileTaken(settings.ProfileName) { PingIntervalLeft = settings.HeartbeatInterval ?? result.PingInterval };

        if (settings.HeartbeatInterval is { } interval)
        {
            settings.ReportIfOverridden(NatsProfileTaken.PingInterval, yourPingInterval ?? NatsOpts.Default.PingInterval, NatsOpts.Default.PingInterval, "Heartbeat:Interval", interval, Show);
            taken.Values.Took(NatsProfileTaken.PingInterval, options.PingInterval, interval);
            result = result with { PingInterval = interval };
            notes.Add($"PingInterval {Show(interval)} from Heartbeat:Interval");
        }
        else
        {
            notes.Add($"PingInterval stays {Show(result.PingInterval)} (Heartbeat:Interval is not set)");
        }

        if (settings.HeartbeatTimeout is { } timeout && MaxPingOut(settings, options.PingInterval) is { } maxPingOut)
        {
            settings.ReportIfOverridden(NatsProfileTaken.MaxPingOut, yourMaxPingOut ?? NatsOpts.Default.MaxPingOut, NatsOpts.Default.MaxPingOut, "Heartbeat:Timeout", maxPingOut, static n => n.ToString(CultureInfo.InvariantCulture));
            taken.Values.Took(NatsProfileTaken.MaxPingOut, options.MaxPingOut, maxPingOut);
            result = result with { MaxPingOut = maxPingOut };
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"MaxPingOut {maxPingOut} = ceil(Heartbeat:Timeout {Show(timeout)} / PingInterval {Show(result.PingInterval)}): NATS.Net counts unanswered PINGs only when it sends the next one, so a silent server is dropped {Show(result.PingInterval * maxPingOut)} to {Show(result.PingInterval * (maxPingOut + 1))} after it went silent"));
        }
        else if (settings.HeartbeatTimeout is { } unused)
        {
            notes.Add($"Heartbeat:Timeout {Show(unused)} is not used: NatsOpts.PingInterval is 0, so NATS.Net sends no PING and MaxPingOut never ends a connection. Fix: set Heartbeat:Interval in the profile, or a PingInterval of yours");
        }

        result = NatsProfileTaken.Record(result, taken);
        settings.ReportApplied(notes);
        const string Rebuild = "create the NatsConnection again from NatsOpts.UseKeepAlive (its sockets already follow reloads; PingInterval and MaxPingOut are fixed when the options are made)";
        settings.WarnWhenReloadsAreNotTaken(
            refusedWithTcp is null ? Rebuild : $"{Rebuild}; with Tcp on, UseKeepAlive refuses these options: {refusedWithTcp.TrimEnd('.')}",
            s =>
            {
                if (yourPingInterval is { } yours)
                {
                    s.ThrowIfYourHeartbeatMissesTheTimeout(yours); // a reload that leaves your PingInterval with a timeout it cannot keep: the fix would be refused
                }

                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                // Without a timeout the profile leaves MaxPingOut alone: yours, when set by hand, is what the connection keeps.
                if ((MaxPingOut(s, options.PingInterval) ?? yourMaxPingOut) is { } n)
                {
                    values[NatsProfileTaken.MaxPingOut] = n.ToString(CultureInfo.InvariantCulture);
                }

                if (refusedWithTcp is not null)
                {
                    values["Tcp:Enabled"] = s.Tcp is null ? "false" : "true";
                }

                return values;
            },
            yourHeartbeat: yourPingInterval,
            heldBy: NatsProfileTaken.Holder(result)); // the connections made from these options keep it: the factory their (re)connections open sockets through, else the WebSocket callback carrying the profile
        return result;
    }

    /// <summary>Applies a keep-alive profile registered in the container, as <see cref="UseKeepAlive(NatsOpts, IKeepAliveProfiles, string)"/> does.</summary>
    /// <param name="options">The options.</param>
    /// <param name="services">The service provider holding <see cref="IKeepAliveProfiles"/> (<c>services.AddKeepAlive(...)</c>).</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>New options carrying the profile.</returns>
    public static NatsOpts UseKeepAlive(this NatsOpts options, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        return options.UseKeepAlive(RegisteredProfiles.From(services, "options.UseKeepAlive", profileName), profileName);
    }

    /// <summary>
    /// Installs the package's socket factory, also while <c>Tcp</c> is off (it reads the profile at each connection, so a
    /// reload turning it on reaches the next one), unless NATS.Net's sockets are out of reach: WebSocket servers, or your
    /// own factory with <c>Tcp</c> off (refused with <c>Tcp</c> on). <paramref name="refusedWithTcp"/>, when TCP servers'
    /// sockets stay out of reach, is the refusal these options get with <c>Tcp</c> on, so that a reload turning it on is
    /// reported with a fix that works instead of silently ignored.
    /// </summary>
    private static NatsOpts WithSocketFactory(NatsOpts options, KeepAliveClientSettings settings, List<string> notes, out string? refusedWithTcp)
    {
        const string Off = "Tcp:Enabled is false: sockets keep NATS.Net's own settings (no keep-alive)";
        var tcpOn = settings.Tcp is not null;
        var urls = options.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            // NATS.Net would fail at connect (an empty entry is no URI); counted below, it read as "every server is a WebSocket".
            throw new InvalidOperationException(
                $"NatsOpts.Url '{options.Url}' lists no server, so KeepAlive profile '{settings.ProfileName}' has no connection to apply to. Fix: set NatsOpts.Url to the servers, for example \"{NatsOpts.Default.Url}\" (NATS.Net's default), or leave it unset.");
        }

        var webSockets = urls.Count(KeepAliveNatsSocketConnectionFactory.IsWebSocket);
        refusedWithTcp = null;
        if (webSockets == urls.Length)
        {
            notes.Add(tcpOn
                ? "Tcp is not applied: every server URL is a WebSocket (ws://, wss://), whose connection NATS.Net opens itself, out of reach"
                : "Tcp:Enabled is false, and every server URL is a WebSocket (ws://, wss://), whose connection NATS.Net opens itself, out of reach");
            return options;
        }

        if (webSockets > 0)
        {
            var mixed = $"NatsOpts.Url '{options.Url}' mixes WebSocket and TCP servers. KeepAlive profile '{settings.ProfileName}' can apply its Tcp section only to TCP connections (nats://, tls://): NATS.Net's WebSocket connection is internal and opens its own socket. "
                + "Fix: list only nats:// or tls:// servers, or only ws:// servers (then the profile sets the heartbeat only).";
            if (!tcpOn)
            {
                refusedWithTcp = mixed;
                notes.Add(Off + ": NatsOpts.Url mixes WebSocket and TCP servers, so a reload that turns Tcp on cannot reach them");
                return options;
            }

            throw new InvalidOperationException(mixed);
        }

        if (options.SocketConnectionFactory is { } yours and not KeepAliveNatsSocketConnectionFactory)
        {
            var outOfReach = $"NatsOpts.SocketConnectionFactory is already set ({yours.GetType().FullName}); the sockets it opens are out of reach, so KeepAlive profile '{settings.ProfileName}' cannot apply its Tcp section to them. "
                + $"Fix: remove your factory and let UseKeepAlive set its own, or apply keep-alive inside yours with IKeepAliveProfiles.Configure(socket, \"{settings.ProfileName}\") (its Tcp section is on) and give UseKeepAlive another profile, with the same Heartbeat section and \"Tcp\": {{ \"Enabled\": false }} (not '{settings.ProfileName}' itself: Configure with a profile whose Tcp:Enabled is false turns the socket's keep-alive off).";
            if (!tcpOn)
            {
                refusedWithTcp = outOfReach;
                notes.Add("Tcp:Enabled is false: the sockets your NatsOpts.SocketConnectionFactory opens are left as it makes them, so a reload that turns Tcp on cannot reach them");
                return options;
            }

            throw new InvalidOperationException(outOfReach);
        }

        notes.Add(tcpOn ? "Tcp on every socket through NatsOpts.SocketConnectionFactory (plain and TLS)" : Off + " until a reload turns it on (NatsOpts.SocketConnectionFactory opens them)");
        return options with { SocketConnectionFactory = new KeepAliveNatsSocketConnectionFactory(settings) };
    }

    /// <summary>MaxPingOut = ceil(Heartbeat:Timeout / PingInterval), with the client's own PingInterval when the profile sets none; null without a timeout.</summary>
    private static int? MaxPingOut(KeepAliveClientSettings settings, TimeSpan clientPingInterval) =>
        settings.HeartbeatTimeout is { } timeout && (settings.HeartbeatInterval ?? clientPingInterval) is var interval && interval > TimeSpan.Zero
            ? (int)Math.Clamp(Math.Ceiling(timeout / interval), 1, int.MaxValue)
            : null;

    private static string Show(TimeSpan value) => KeepAliveDuration.Format(value);
}

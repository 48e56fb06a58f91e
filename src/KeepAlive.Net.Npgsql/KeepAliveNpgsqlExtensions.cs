using System.Globalization;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KeepAlive.Net.Npgsql;

/// <summary>Applies a keep-alive profile to every physical connection of an <see cref="NpgsqlDataSource"/>, through Npgsql's own settings.</summary>
public static class KeepAliveNpgsqlExtensions
{
    private const string RebuildFix = "build the NpgsqlDataSource again with UseKeepAlive (Npgsql fixes its settings when the data source is built; the new one opens its connections with the reloaded values), then dispose the old one once nothing uses it";

    /// <summary>Gets how Npgsql takes a profile: <c>Heartbeat:Interval</c> as the <c>Keepalive</c> connection-string setting (whole seconds; off without it, Npgsql's default); it has no heartbeat timeout.</summary>
    public static KeepAliveClientDescription Client { get; } = new("Npgsql", "Keepalive", defaultHeartbeatInterval: null)
    {
        WithoutHeartbeatTimeout = "Npgsql has no heartbeat timeout: a keepalive query that gets no answer ends after the command timeout, and a dead idle connection is found by TCP keep-alive",
    };

    /// <summary>
    /// Applies a keep-alive profile to the data source this builder builds, through Npgsql's connection-string settings
    /// (Npgsql has no hook to reach its sockets): <c>Tcp:IdleTime</c> and <c>Tcp:Interval</c> as <c>Tcp Keepalive Time</c>
    /// and <c>Tcp Keepalive Interval</c> (whole seconds, rounded down), and <c>Heartbeat:Interval</c>, when the profile
    /// sets it, as <c>Keepalive</c> (a query Npgsql sends on an idle connection).
    /// </summary>
    /// <param name="builder">The builder, before <see cref="NpgsqlDataSourceBuilder.Build"/>.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered; <c>Host</c> mixes Unix domain socket directories and TCP hosts; the profile sets <c>Heartbeat:Interval</c> and the connection string turns <c>Multiplexing</c> on (Npgsql refuses <c>Keepalive</c> with multiplexing on every connection); or the profile (<c>Tcp:UnsetValues</c> KeepCurrent) would leave a <c>Tcp Keepalive Interval</c> without a <c>Tcp Keepalive Time</c>, which Npgsql refuses on every connection; or the builder already takes another profile.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid or does not suit Npgsql (the message names the setting, its value and the fix).</exception>
    /// <remarks>
    /// What Npgsql cannot do is reported in the start-up line (event 3201), not hidden: <c>Tcp:ProbeCount</c> and
    /// <c>Tcp:UserTimeout</c> cannot be applied, so the kernel's <c>net.ipv4.tcp_keepalive_probes</c> decides how many
    /// probes go unanswered (a dead idle peer is found after idle + probes x interval) and data in flight to a dead peer
    /// is retransmitted as long as the kernel's <c>net.ipv4.tcp_retries2</c> allows (15m24s600ms with its default 15, the
    /// start-up line says how long with this machine's) unless a command timeout ends it; the values cannot be read back from the
    /// kernel either. Settings you set by hand in the connection string are kept unless the profile sets them; then the
    /// profile wins and a warning says so (event 3202). The values are fixed when the data source is built (Npgsql
    /// offers no hook that a later connection would ask): a configuration reload reaches data sources built afterwards, and
    /// a reload that changes a value this one keeps logs a warning (event 3204) with the fix, build the data source again.
    /// </remarks>
    public static NpgsqlDataSourceBuilder UseKeepAlive(this NpgsqlDataSourceBuilder builder, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = KeepAliveClientSettings.Create(profiles, profileName, Client);
        var connection = builder.ConnectionStringBuilder;
        var notes = new List<string>();
        var hosts = (connection.Host ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        var unixHosts = hosts.Count(IsUnixSocket);
        var allUnix = unixHosts > 0 && unixHosts == hosts.Length;
        var multiplexing = connection.Multiplexing;
        var current = (Time: connection.TcpKeepAliveTime, Interval: connection.TcpKeepAliveInterval, KeepAlive: connection.KeepAlive, TcpKeepAlive: connection.TcpKeepAlive);

        // Yours: as the connection string had them before any UseKeepAlive on this builder wrote the profile's, so that a call
        // again after a reload (warning 3204's fix) gives yours back where the reloaded profile no longer sets a value.
        var ownTime = AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Yours(builder, "Tcp Keepalive Time", current.Time);
        var ownInterval = AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Yours(builder, "Tcp Keepalive Interval", current.Interval);
        var ownKeepAlive = AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Yours(builder, "Keepalive", current.KeepAlive);
        var ownTcpKeepAlive = AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Yours(builder, "Tcp Keepalive", current.TcpKeepAlive);
        var host = connection.Host;

        // What Npgsql would refuse on every connection of a data source built with these settings, or null: checked here,
        // and after each accepted reload, whose warning must not tell you to build a data source that would be refused.
        string? Refusal(KeepAliveClientSettings s)
        {
            if (s.Tcp is not null && unixHosts > 0 && !allUnix)
            {
                return Invariant(
                    $"Npgsql's Host '{host}' mixes Unix domain socket directories and TCP hosts, and Npgsql sets its Tcp Keepalive settings on every connection, which the kernel refuses on a Unix socket. Fix: build one data source for the Unix sockets (Host={string.Join(',', hosts.Where(IsUnixSocket))}) and one for the TCP hosts (Host={string.Join(',', hosts.Where(static h => !IsUnixSocket(h)))}), each with KeepAlive profile '{s.ProfileName}' (on a Host of Unix sockets alone the Tcp section is not written).");
            }

            if (s.HeartbeatInterval is { } keepalive && multiplexing)
            {
                return Invariant(
                    $"KeepAlive profile '{s.ProfileName}' sets Heartbeat:Interval {Duration((int)keepalive.TotalSeconds)}, which becomes Npgsql's Keepalive, but the connection string turns Multiplexing on, and Npgsql refuses every connection then (\"Keepalive not yet implemented for multiplexing\"). Fix: use a profile without Heartbeat:Interval for this data source (its Tcp section still applies), or turn Multiplexing off.");
            }

            // A value the profile keeps (UnsetValues KeepCurrent) stays as the connection string has it.
            return !allUnix && TcpSeconds(s) is var (idle, interval) && (idle ?? ownTime) == 0 && (interval ?? ownInterval) is > 0 and var every
                ? Invariant(
                    $"KeepAlive profile '{s.ProfileName}' would give Npgsql Tcp Keepalive Interval {Duration(every)} ({(interval is null ? "from the connection string" : "from Tcp:Interval")}) without a Tcp Keepalive Time (the profile keeps it, Tcp:UnsetValues KeepCurrent, and the connection string does not set it), and Npgsql refuses every connection then (\"If TcpKeepAliveInterval is defined, TcpKeepAliveTime must be defined as well\"). Fix: set Tcp:IdleTime in the profile, or Tcp Keepalive Time in the connection string.")
                : null;
        }

        if (Refusal(settings) is { } refused)
        {
            throw new InvalidOperationException(refused);
        }

        // What Npgsql will use: a value the profile keeps (UnsetValues KeepCurrent) stays as the connection string has it.
        var tcpSeconds = allUnix ? null : TcpSeconds(settings);
        var (idle, interval) = tcpSeconds ?? (null, null);
        var (time, every) = (idle ?? ownTime, interval ?? ownInterval);

        // One profile per builder: the same one again is applied as once (no false "set by hand" warning), another is refused.
        // Claimed once nothing can refuse the call any more, so that a refused call leaves the builder free for another profile.
        AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Claim(builder, settings.ProfileName, null, "NpgsqlDataSourceBuilder.UseKeepAlive");
        if ((ownTime, ownInterval, ownKeepAlive, ownTcpKeepAlive) != current)
        {
            (connection.TcpKeepAliveTime, connection.TcpKeepAliveInterval, connection.KeepAlive, connection.TcpKeepAlive) = (ownTime, ownInterval, ownKeepAlive, ownTcpKeepAlive);
        }

        if (settings.Tcp is not null && allUnix)
        {
            // Npgsql would set TCP options on the AF_UNIX socket and the kernel refuses them (EOPNOTSUPP): not written.
            notes.Add((hosts.All(static h => h.StartsWith('@')) ? "Host is a Unix domain socket in Linux's abstract namespace (@name)" : "Host is a Unix domain socket directory") + ": it has no TCP layer, so the Tcp section is not written (Npgsql would set TCP options on the Unix socket, which the kernel refuses) and "
                + (settings.HeartbeatInterval is not null || connection.KeepAlive > 0 ? "only Keepalive, the query, watches the connection" : "nothing watches the connection: Keepalive is off. Fix: set Heartbeat:Interval in the profile (or Keepalive in the connection string)"));
        }
        else if (settings.Tcp is { } tcp && tcpSeconds is not null)
        {
            if (idle is { } idleSeconds)
            {
                AppliedProfiles<NpgsqlDataSourceBuilder, object?>.ReportIfOverridden(builder, profiles, settings, "Tcp Keepalive Time", current.Time, 0, "Tcp:IdleTime", idleSeconds, Duration);
                connection.TcpKeepAliveTime = idleSeconds;
            }

            if (interval is { } intervalSeconds)
            {
                AppliedProfiles<NpgsqlDataSourceBuilder, object?>.ReportIfOverridden(builder, profiles, settings, "Tcp Keepalive Interval", current.Interval, 0, "Tcp:Interval", intervalSeconds, Duration);
                connection.TcpKeepAliveInterval = intervalSeconds;
            }

            if (!current.TcpKeepAlive && new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection.ConnectionString }.ContainsKey("Tcp Keepalive"))
            {
                // Off by default too: only a connection string that says so turned it off by hand.
                settings.ReportOverride("Tcp Keepalive", "false", "Tcp:Enabled", "true");
            }

            AppliedProfiles<NpgsqlDataSourceBuilder, object?>.Took(builder, "Tcp Keepalive", current.TcpKeepAlive, true);
            connection.TcpKeepAlive = true;
            var source = tcp.UnsetValues == TcpKeepAliveUnsetValues.KeepCurrent ? "the profile's Tcp:IdleTime and Tcp:Interval where it sets them (UnsetValues KeepCurrent), else the connection string's" : "Tcp:IdleTime and Tcp:Interval";
            (int? Time, int? Interval) probing;
            if (time == 0)
            {
                // Npgsql then only turns SO_KEEPALIVE on: the kernel's own times apply.
                probing = (KernelSysctls.Read(KernelSysctls.KeepAliveTime), KernelSysctls.Read(KernelSysctls.KeepAliveInterval));
                notes.Add(probing is (int t, int i)
                    ? Invariant($"Tcp Keepalive on with the kernel's times (net.ipv4.tcp_keepalive_time {Duration(t)}, net.ipv4.tcp_keepalive_intvl {Duration(i)}): neither {source} set Tcp Keepalive Time or Interval")
                    : Invariant($"Tcp Keepalive on with the operating system's times: neither {source} set Tcp Keepalive Time or Interval"));
            }
            else
            {
                // Npgsql probes every Tcp Keepalive Time when Tcp Keepalive Interval is 0.
                probing = (time, every > 0 ? every : time);
                notes.Add(Invariant($"Tcp Keepalive Time {Duration(time)} and Tcp Keepalive Interval {Duration(probing.Interval.Value)}{(every > 0 ? string.Empty : " (not set, so Npgsql probes every Tcp Keepalive Time)")} from {source}"));
            }

            var probes = KernelSysctls.Read(KernelSysctls.KeepAliveProbes);
            // Under KeepCurrent an unset ProbeCount is no value of the profile (its getter's default is never written).
            var probeCount = tcp.KeepsCurrent(KeepAliveOption.ProbeCount)
                ? "Tcp:ProbeCount is not set (Tcp:UnsetValues KeepCurrent)"
                : Invariant($"Tcp:ProbeCount {tcp.ProbeCount} cannot be applied (Npgsql has no socket hook)");
            notes.Add(probes is { } count && probing is (int start, int each)
                ? Invariant($"{probeCount}: the kernel's net.ipv4.tcp_keepalive_probes {count} applies, so a dead idle peer is found after idle + {count} x interval = {Duration(start + (count * each))}")
                : $"{probeCount}: the operating system's default probe count applies");
            var retransmitted = KernelSysctls.Read(KernelSysctls.Retries2) is { } retries
                ? Invariant($"for {KeepAliveDuration.Format(KernelSysctls.RetransmissionTimeout(retries))} (net.ipv4.{KernelSysctls.Retries2} {retries})")
                : "as long as the operating system's retransmission limit allows";
            notes.Add($"Tcp:UserTimeout cannot be applied (TCP_USER_TIMEOUT): data in flight to a dead peer is retransmitted {retransmitted} unless a command timeout ends it first");
            notes.Add("the values cannot be read back from the kernel: Npgsql does not expose its sockets");
        }
        else
        {
            notes.Add("Tcp:Enabled is false: Npgsql's Tcp Keepalive settings stay as they are");
        }

        TimeSpan? yourKeepAlive = ownKeepAlive > 0 ? TimeSpan.FromSeconds(ownKeepAlive) : null;
        if (settings.HeartbeatInterval is { } heartbeat)
        {
            var seconds = (int)heartbeat.TotalSeconds;
            AppliedProfiles<NpgsqlDataSourceBuilder, object?>.ReportIfOverridden(builder, profiles, settings, "Keepalive", current.KeepAlive, 0, "Heartbeat:Interval", seconds, Duration);
            connection.KeepAlive = seconds;
            notes.Add(Invariant($"Keepalive (a query on an idle connection, from a thread-pool timer) every {Duration(seconds)} from Heartbeat:Interval"));
        }
        else
        {
            notes.Add(Invariant($"Keepalive stays {(connection.KeepAlive == 0 ? "off" : Duration(connection.KeepAlive))} (Heartbeat:Interval is not set)"));
        }

        notes.Add("the values are fixed when the data source is built: a reload reaches data sources built afterwards, and a warning (event 3204) names what a reload changes for this one");
        settings.ReportApplied(notes);
        settings.WarnWhenReloadsAreNotTaken(RebuildFix, s => Refusal(s) is { } refusedNow
            ? throw new OptionsValidationException(s.ProfileName, typeof(KeepAliveProfileOptions), [refusedNow]) // rebuilding would be refused
            : allUnix ? [] : new Dictionary<string, string>
            {
                // With Tcp off, a data source built again keeps the connection string's values, as for a value the profile keeps.
                ["Tcp Keepalive Time"] = TcpSeconds(s)?.Idle is { } i ? Duration(i) : Kept(ownTime),
                ["Tcp Keepalive Interval"] = TcpSeconds(s)?.Interval is { } v ? Duration(v) : Kept(ownInterval),
            },
            yourHeartbeat: yourKeepAlive);
        return builder;
    }

    /// <summary>Applies a keep-alive profile registered in the container, as <see cref="UseKeepAlive(NpgsqlDataSourceBuilder, IKeepAliveProfiles, string)"/> does.</summary>
    /// <param name="builder">The builder, before <see cref="NpgsqlDataSourceBuilder.Build"/>.</param>
    /// <param name="services">The service provider holding <see cref="IKeepAliveProfiles"/> (<c>services.AddKeepAlive(...)</c>).</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The builder, for chaining.</returns>
    public static NpgsqlDataSourceBuilder UseKeepAlive(this NpgsqlDataSourceBuilder builder, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        return builder.UseKeepAlive(RegisteredProfiles.From(services, "builder.UseKeepAlive", profileName), profileName);
    }

    /// <summary>
    /// <c>Tcp Keepalive Time</c> and <c>Tcp Keepalive Interval</c> from the profile's <c>Tcp</c> section (whole seconds,
    /// rounded down; null for a field it keeps as the connection string has it, <c>UnsetValues</c> KeepCurrent), or null when it is disabled.
    /// </summary>
    private static (int? Idle, int? Interval)? TcpSeconds(KeepAliveClientSettings settings) => settings.Tcp is { } tcp
        ? (tcp.KeepsCurrent(KeepAliveOption.IdleTime) ? null : settings.ToWholeSeconds(tcp.IdleTime, "Tcp:IdleTime", "Tcp Keepalive Time"),
           tcp.KeepsCurrent(KeepAliveOption.Interval) ? null : settings.ToWholeSeconds(tcp.Interval, "Tcp:Interval", "Tcp Keepalive Interval"))
        : null;

    /// <summary>Whether Npgsql connects to <paramref name="host"/> over a Unix domain socket, as it decides: a rooted path (a directory), or a name in Linux's abstract namespace (<c>@name</c>).</summary>
    private static bool IsUnixSocket(string host) => host.StartsWith('@') || Path.IsPathRooted(host);

    /// <summary>A value the profile keeps (UnsetValues KeepCurrent) as the data source has it: the connection string's, or none.</summary>
    private static string Kept(int seconds) => seconds > 0 ? Duration(seconds) : "not set";

    private static string Duration(int seconds) => KeepAliveDuration.Format(TimeSpan.FromSeconds(seconds));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

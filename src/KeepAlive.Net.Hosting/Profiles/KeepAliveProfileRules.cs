using System.Globalization;
using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The cross-field rules between a profile's <c>Tcp</c> and <c>Heartbeat</c> sections.</summary>
internal static class KeepAliveProfileRules
{
    /// <summary>
    /// OS keep-alive must beat the stated peer idle timeout with a margin: the first probe (after IdleTime) and its
    /// first retry (one Interval later) must both arrive before the peer or middlebox forgets the idle flow, so a
    /// single lost probe does not cost the connection. The defaults (30 s + 10 s) beat every preset, AwsAlb's 60 s included.
    /// A time the profile leaves to the socket (<see cref="TcpKeepAliveUnsetValues.KeepCurrent"/>) cannot be checked, so it is refused.
    /// </summary>
    /// <returns>The message with the values and the fix, or <see langword="null"/> when the rule holds or does not apply.</returns>
    public static string? CheckTcpAgainstPeerIdleTimeout(KeepAliveProfileOptions options)
    {
        if (options.Tcp is not { Enabled: true } tcp || options.Heartbeat?.PeerIdleTimeout is not { } peer || peer.Value <= TimeSpan.Zero)
        {
            return null;
        }

        var suggestion = TimeSpan.FromSeconds(Math.Max(1, Math.Floor(peer.Value.TotalSeconds / 2)));

        // A time kept as the socket has it (UnsetValues = KeepCurrent) is not known here: the getter's default is never
        // written, and a fresh socket keeps the kernel's (7200 s idle on Linux), so the rule cannot hold for it.
        string[] kept = [.. new[] { KeepAliveOption.IdleTime, KeepAliveOption.Interval }.Where(tcp.KeepsCurrent).Select(static o => $"Tcp:{o}")];
        if (kept.Length > 0)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{string.Join(" and ", kept)} {(kept.Length == 1 ? "is" : "are")} not set and Tcp:UnsetValues is KeepCurrent, so each socket keeps its own (the kernel's {KeepAliveDuration.Format(KeepAliveCapabilities.Current.DefaultIdleTime)} idle time on a socket nobody configured), which nothing can check against Heartbeat:PeerIdleTimeout {peer}: the middlebox may forget the idle connection before the first probe. Fix: set {string.Join(" and ", kept)} in the profile (for example IdleTime {KeepAliveDuration.Format(suggestion)}), or remove Heartbeat:PeerIdleTimeout.");
        }

        if (peer.IsBeatenByKeepAlive(tcp.IdleTime, tcp.Interval))
        {
            return null;
        }

        var firstRetry = tcp.IdleTime + tcp.Interval;
        var idleBound = peer.Value - tcp.Interval;

        // The longest whole-second Tcp:IdleTime below that bound (1s below 1s500ms, 5m39s below 5m40s).
        var largestIdle = TimeSpan.FromSeconds(Math.Ceiling(idleBound.TotalSeconds) - 1);

        // Half the peer idle timeout, unless a long interval leaves less: the example must pass this rule.
        var example = TimeSpan.FromSeconds(Math.Min(suggestion.TotalSeconds, largestIdle.TotalSeconds));
        var fix = !TcpSectionCanKeep(peer.Value)
            ? string.Create(CultureInfo.InvariantCulture, $"set Tcp:Enabled to false and keep the idle connection with the heartbeat alone (no Tcp section can: {NoTcpSectionCan}), or remove Heartbeat:PeerIdleTimeout")
            : largestIdle >= TimeSpan.FromSeconds(1)
            ? string.Create(CultureInfo.InvariantCulture, $"set Tcp:IdleTime below {KeepAliveDuration.Format(idleBound)} (Heartbeat:PeerIdleTimeout minus Tcp:Interval), for example {KeepAliveDuration.Format(example)}")
            : string.Create(CultureInfo.InvariantCulture, $"shorten Tcp:Interval and set Tcp:IdleTime to about half the peer idle timeout, for example {KeepAliveDuration.Format(suggestion)}");
        return string.Create(CultureInfo.InvariantCulture,
            $"Tcp:IdleTime is {KeepAliveDuration.Format(tcp.IdleTime)} and Tcp:Interval {KeepAliveDuration.Format(tcp.Interval)}: the first keep-alive probe and its retry ({KeepAliveDuration.Format(firstRetry)}) do not both arrive within Heartbeat:PeerIdleTimeout {peer}, so one lost probe lets the peer drop the idle connection silently. Fix: {fix}.");
    }

    /// <summary>
    /// A profile's heartbeat always has a name: unset, it is the profile's. An empty or blank one set in code would name it
    /// nothing in logs and in the <c>keepalive.heartbeat.name</c> metric tag (the default replaces only an unset name); the
    /// configuration reader refuses such a value from a file itself.
    /// </summary>
    /// <returns>The error with the value and the fix, or none.</returns>
    public static IEnumerable<KeepAliveValidationError> CheckHeartbeatName(HeartbeatOptions heartbeat)
    {
        if (heartbeat.Name is { } name && string.IsNullOrWhiteSpace(name))
        {
            yield return new(nameof(HeartbeatOptions.Name),
                $"'{name}' is {(name.Length == 0 ? "empty" : "blank (only white space)")}: the heartbeat would be named nothing in logs and in the keepalive.heartbeat.name metric tag. Fix: set it to a name such as \"payments-gateway\", or leave it null to name the heartbeat after its profile.");
        }
    }

    /// <summary>
    /// The longest interval <paramref name="heartbeat"/>'s <c>Heartbeat:PeerIdleTimeout</c> allows (<see cref="HeartbeatOptions.LongestIntervalForPeer"/>)
    /// and how it is reached, as every rule against the peer words it: <c>15s = Heartbeat:MaxIntervalToPeerIdleRatio 0.5 x Heartbeat:PeerIdleTimeout 30s</c>.
    /// </summary>
    /// <param name="heartbeat">A heartbeat section with a <c>Heartbeat:PeerIdleTimeout</c>.</param>
    /// <param name="limit">Its <see cref="HeartbeatOptions.LongestIntervalForPeer"/>.</param>
    public static string LongestIntervalForPeer(HeartbeatOptions heartbeat, TimeSpan limit) => string.Create(CultureInfo.InvariantCulture,
        $"{KeepAliveDuration.Format(limit)} = Heartbeat:MaxIntervalToPeerIdleRatio {heartbeat.MaxIntervalToPeerIdleRatio} x Heartbeat:PeerIdleTimeout {heartbeat.PeerIdleTimeout}");

    /// <summary>
    /// Whether some <c>Tcp</c> section passes <see cref="CheckTcpAgainstPeerIdleTimeout"/> for a peer idle timeout: its earliest
    /// retry, both times at their declared floors (the kernel counts whole seconds), must leave before the peer forgets the flow.
    /// </summary>
    public static bool TcpSectionCanKeep(TimeSpan peerIdle) => peerIdle > TcpIdleFloor + TcpIntervalFloor;

    /// <summary>Why no <c>Tcp</c> section can keep a connection for a peer idle timeout <see cref="TcpSectionCanKeep"/> refuses, as the messages say it.</summary>
    public static string NoTcpSectionCan { get; } = string.Create(CultureInfo.InvariantCulture,
        $"Tcp:IdleTime and Tcp:Interval are at least {KeepAliveDuration.Format(TcpIdleFloor)} and {KeepAliveDuration.Format(TcpIntervalFloor)}, so the earliest retry leaves after {KeepAliveDuration.Format(TcpIdleFloor + TcpIntervalFloor)}");

    private static TimeSpan TcpIdleFloor => Floor(OptionsSchema.For<TcpKeepAliveOptions>(), nameof(TcpKeepAliveOptions.IdleTime));

    private static TimeSpan TcpIntervalFloor => Floor(OptionsSchema.For<TcpKeepAliveOptions>(), nameof(TcpKeepAliveOptions.Interval));

    /// <summary>The least value a duration key's declared range takes (<see cref="OptionsSchema.Range"/>).</summary>
    internal static TimeSpan Floor(OptionsSchema schema, string name) => KeepAliveDuration.Parse(schema.Range(name).Minimum);
}

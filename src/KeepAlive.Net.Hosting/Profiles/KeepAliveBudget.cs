using System.Globalization;
using System.Text;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Describes a profile's timers of every layer side by side against its middlebox budget
/// (<c>Heartbeat:PeerIdleTimeout</c>), in one line: what the start-up log shows for each profile.
/// </summary>
internal static class KeepAliveBudget
{
    /// <summary>SocketsHttpHandler's and Kestrel's HTTP/2 ping timeout when pings are on and none is set.</summary>
    private static readonly TimeSpan PlatformPingTimeout = TimeSpan.FromSeconds(20);

    public static string Describe(KeepAliveProfileOptions profile)
    {
        var line = new StringBuilder();
        line.Append(profile.Heartbeat?.PeerIdleTimeout is { } peer
            ? Invariant($"middlebox idle timeout {peer}")
            : "no Heartbeat:PeerIdleTimeout (nothing to check the timers against)");
        line.Append("; TCP ").Append(Tcp(profile.Tcp));
        if (profile.Heartbeat is { } heartbeat)
        {
            line.Append("; heartbeat every ").Append(Show(heartbeat.Interval))
                .Append(heartbeat.Timeout is { } timeout ? $" (peer dead after {Show(timeout)})" : string.Empty);
        }

        var http = profile.Http ?? new HttpKeepAliveOptions();
        line.Append("; HTTP pool idle ").Append(Show(http.PooledConnectionIdleTimeout))
            .Append(", pool lifetime ").Append(Show(http.PooledConnectionLifetime)).Append(Jitter(http.PooledConnectionLifetime, http.MaxConnectionAgeJitter))
            .Append(", server keep-alive ").Append(Show(http.KeepAliveTimeout))
            .Append(http.KeepAlivePingDelay is { } pingDelay ? $"; HTTP/2 ping after {Show(pingDelay)}" : "; HTTP/2 ping not set")
            .Append(http.KeepAlivePingTimeout is { } pingTimeout ? $" (timeout {Show(pingTimeout)})" : string.Empty)
            .Append(http.PeerMinPingInterval is { } minimum ? $", the server accepts one every {Show(minimum)} at most" : string.Empty)
            .Append(http.PeerPermitsPingsWithoutCalls == false ? ", only with calls in flight" : string.Empty)
            .Append("; connection age ").Append(Show(http.MaxConnectionAge))
            .Append(Jitter(http.MaxConnectionAge, http.MaxConnectionAgeJitter))
            .Append(http.MaxRequestsPerConnection is { } requests ? Invariant($", at most {requests} requests") : string.Empty);
        var webSocket = profile.WebSocket ?? new WebSocketKeepAliveOptions();
        line.Append("; WebSocket keep-alive ").Append(!HttpProfileRules.SendsPings(webSocket) ? "off (WebSocket:KeepAliveInterval 0s)" : Show(webSocket.KeepAliveInterval))
            .Append(webSocket.KeepAliveTimeout is { } wsTimeout ? $" (timeout {Show(wsTimeout)})" : string.Empty);
        if (SignalRProfileRules.IsSet(profile.SignalR))
        {
            var signalR = SignalRProfileRules.Resolve(profile);
            line.Append("; SignalR keep-alive ").Append(Show(signalR.KeepAliveInterval.Value))
                .Append(", client's server timeout ").Append(Show(signalR.ServerTimeout.Value))
                .Append(", hub's client timeout ").Append(Show(signalR.ClientTimeoutInterval.Value));
        }

        return line.ToString();
    }

    private static string Tcp(TcpKeepAliveOptions? tcp)
    {
        if (tcp is not { Enabled: true })
        {
            return "keep-alive off";
        }

        if (new[] { KeepAliveOption.IdleTime, KeepAliveOption.Interval, KeepAliveOption.ProbeCount }.Any(tcp.KeepsCurrent))
        {
            // What the socket keeps is not known here; the getters' defaults are never written.
            string Part(KeepAliveOption option, string name, string value) => tcp.KeepsCurrent(option) ? $"{name} kept" : value;
            return Invariant($"dead peer after the socket's own time ({Part(KeepAliveOption.IdleTime, "idle", $"idle {Show(tcp.IdleTime)}")}, {Part(KeepAliveOption.ProbeCount, "count", Invariant($"{tcp.ProbeCount}"))} x {Part(KeepAliveOption.Interval, "interval", Show(tcp.Interval))}: Tcp:UnsetValues is KeepCurrent)");
        }

        // The times as the kernel is given them (ConfigureKeepAlive rounds a fraction of a second down), so the sum adds up.
        var capabilities = KeepAliveCapabilities.Current;
        var idle = capabilities.TimeAsWritten(tcp.IdleTime);
        var interval = capabilities.TimeAsWritten(tcp.Interval);
        var deadPeer = KernelDeadPeerTime(tcp)!.Value;
        var byCount = idle + (interval * tcp.ProbeCount);
        var userTimeout = tcp.UserTimeout is not { Ticks: > 0 } u ? string.Empty
            : deadPeer != byCount ? $", user timeout {Show(u)}: the kernel then ignores the probe count and resets at the first probe after {Show(u)} of silence"
            : $", user timeout {Show(u)}";
        string[] rounded = [.. new[] { (Key: "Tcp:IdleTime", Asked: tcp.IdleTime, Written: idle), (Key: "Tcp:Interval", Asked: tcp.Interval, Written: interval) }
            .Where(static t => t.Asked != t.Written).Select(static t => $"{t.Key} {Show(t.Asked)} is rounded down to {Show(t.Written)}")];
        var roundings = rounded.Length == 0 ? string.Empty : "; " + string.Join(", ", rounded);
        return Invariant($"dead peer after {Show(deadPeer)} (idle {Show(idle)} + {tcp.ProbeCount} x {Show(interval)}{userTimeout}{roundings})");
    }

    /// <summary>
    /// How long the kernel's keep-alive takes to declare a silent idle peer dead, as the kernel behaves
    /// (<see cref="TcpKeepAliveOptions.GetDeadPeerDetectionTime"/>: idle + interval × count, or on Linux with a user timeout
    /// the first probe after it), or <see langword="null"/> when the Tcp section is off.
    /// </summary>
    public static TimeSpan? KernelDeadPeerTime(TcpKeepAliveOptions? tcp) =>
        tcp is { Enabled: true } ? tcp.GetDeadPeerDetectionTime() : null;

    /// <summary>
    /// The ping timeouts of a profile that can misfire under thread-pool starvation: SocketsHttpHandler, Kestrel and
    /// ManagedWebSocket time their PINGs on the thread pool, so a pool starved for longer than the timeout declares a
    /// healthy peer dead (measured: pings every 1 s with a 5 s timeout, a pool starved for 7.5 s, a healthy HTTP/2
    /// connection torn down, while the Tcp section alone kept it). The kernel's keep-alive runs no code of ours, so it
    /// should be what declares a peer dead: a timeout below its dead-peer time, or with no Tcp section at all, is reported.
    /// </summary>
    /// <returns>One sentence per timeout, with the values and the fix.</returns>
    public static IEnumerable<string> PingTimeoutsThatMayMisfire(KeepAliveProfileOptions profile)
    {
        var kernel = KernelDeadPeerTime(profile.Tcp);
        if (profile.Http?.KeepAlivePingDelay is not null)
        {
            var timeout = profile.Http.KeepAlivePingTimeout ?? PlatformPingTimeout;
            if (Misfires(timeout, profile.Http.KeepAlivePingTimeout is null, kernel, "Http:KeepAlivePingTimeout", "HTTP/2", out var warning))
            {
                yield return warning;
            }
        }

        if (profile.WebSocket is { KeepAliveTimeout: { } wsTimeout } webSocket && HttpProfileRules.SendsPings(webSocket)
            && Misfires(wsTimeout, platformDefault: false, kernel, "WebSocket:KeepAliveTimeout", "WebSocket", out var wsWarning))
        {
            yield return wsWarning;
        }
    }

    private static bool Misfires(TimeSpan timeout, bool platformDefault, TimeSpan? kernel, string key, string protocol, out string warning)
    {
        const string Why = "PINGs are timed on the thread pool, so a pool starved for longer than that declares a healthy connection dead and tears it down";
        var value = Invariant($"{key} is {Show(timeout)}{(platformDefault ? " (unset: the platform's default)" : string.Empty)}");
        warning = kernel is not { } deadPeer
            ? Invariant($"{value} and the Tcp section is off: the {protocol} PING timeout is the only thing that declares a dead peer, and {Why}. Fix: enable the Tcp section so the kernel's keep-alive (no code of ours, no thread pool) declares dead peers, and set {key} above its dead-peer time.")
            : timeout < deadPeer
                ? Invariant($"{value}, shorter than the {Show(deadPeer)} the kernel's keep-alive (the Tcp section) takes to declare a dead peer: {Why}, before the kernel could tell. Fix: set {key} above {Show(deadPeer)}, so the kernel declares dead peers and the PING only keeps the flow alive.")
                : string.Empty;
        return warning.Length > 0;
    }

    private static string Jitter(TimeSpan? age, TimeSpan? jitter) =>
        age is not null && jitter is { Ticks: > 0 } j ? $" (minus up to {Show(j)})" : string.Empty;

    private static string Show(TimeSpan? value) => value is { } v ? KeepAliveDuration.Format(v) : "not set";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

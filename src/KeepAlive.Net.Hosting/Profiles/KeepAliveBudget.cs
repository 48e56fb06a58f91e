using System.Globalization;
using System.Text;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Describes a profile's timers of every layer side by side against its middlebox budget
/// (<c>Heartbeat:PeerIdleTimeout</c>), in one line: what the start-up log shows for each profile.
/// </summary>
internal static class KeepAliveBudget
{
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
            .Append("; HTTP/2 ping after ").Append(Show(http.KeepAlivePingDelay))
            .Append(http.KeepAlivePingTimeout is { } pingTimeout ? $" (timeout {Show(pingTimeout)})" : string.Empty)
            .Append("; connection age ").Append(Show(http.MaxConnectionAge))
            .Append(Jitter(http.MaxConnectionAge, http.MaxConnectionAgeJitter))
            .Append(http.MaxRequestsPerConnection is { } requests ? Invariant($", at most {requests} requests") : string.Empty);
        var webSocket = profile.WebSocket ?? new WebSocketKeepAliveOptions();
        line.Append("; WebSocket keep-alive ").Append(Show(webSocket.KeepAliveInterval))
            .Append(webSocket.KeepAliveTimeout is { } wsTimeout ? $" (timeout {Show(wsTimeout)})" : string.Empty);
        return line.ToString();
    }

    private static string Tcp(TcpKeepAliveOptions? tcp)
    {
        if (tcp is not { Enabled: true })
        {
            return "keep-alive off";
        }

        var deadPeer = tcp.IdleTime + (tcp.Interval * tcp.ProbeCount);
        var userTimeout = tcp.UserTimeout is { Ticks: > 0 } u ? $", user timeout {Show(u)}" : string.Empty;
        return Invariant($"dead peer after {Show(deadPeer)} (idle {Show(tcp.IdleTime)} + {tcp.ProbeCount} x {Show(tcp.Interval)}{userTimeout})");
    }

    private static string Jitter(TimeSpan? age, TimeSpan? jitter) =>
        age is not null && jitter is { Ticks: > 0 } j ? $" (minus up to {Show(j)})" : string.Empty;

    private static string Show(TimeSpan? value) => value is { } v ? KeepAliveDuration.Format(v) : "not set";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

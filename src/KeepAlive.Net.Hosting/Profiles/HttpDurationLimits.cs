using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The sane range of every duration in a profile's <c>Http</c> and <c>WebSocket</c> sections, and why.</summary>
internal static class HttpDurationLimits
{
    private const string Day = "no middlebox keeps an idle flow for a day, and a connection that old has missed every DNS and load balancer change.";

    public static readonly DurationLimits MaxConnectionAge = new(
        TimeSpan.FromSeconds(1), "a younger retirement reconnects on almost every request, which costs a handshake each time.",
        TimeSpan.FromDays(1), Day, "10m");

    public static readonly DurationLimits MaxConnectionAgeJitter = new(
        TimeSpan.Zero, "a negative jitter would lengthen the age.",
        TimeSpan.FromDays(1), "the jitter must stay below the age, and ages are at most 1 d.", "30s");

    public static readonly DurationLimits ConnectionCloseGracePeriod = new(
        TimeSpan.FromMilliseconds(100), "requests in flight need time to complete after GOAWAY or Connection: close.",
        TimeSpan.FromHours(1), "a request that runs for an hour should not hold a retired connection open; abort it sooner.", "30s");

    public static readonly DurationLimits KeepAliveTimeout = new(
        TimeSpan.FromSeconds(1), "Kestrel checks the keep-alive timeout once a second.",
        TimeSpan.FromDays(1), Day, "6m");

    public static readonly DurationLimits PooledConnectionIdleTimeout = new(
        TimeSpan.FromSeconds(1), "a shorter idle timeout throws away nearly every pooled connection before it is reused.",
        TimeSpan.FromDays(1), Day, "50s");

    public static readonly DurationLimits PooledConnectionLifetime = new(
        TimeSpan.FromSeconds(1), "a shorter lifetime reconnects on almost every request.",
        TimeSpan.FromDays(1), Day, "5m");

    public static readonly DurationLimits ConnectTimeout = new(
        TimeSpan.FromMilliseconds(100), "a TCP handshake across a region already takes tens of milliseconds, and a lost SYN is retried after 1 s.",
        TimeSpan.FromMinutes(10), "the kernel gives up on a connect after about 2 min (tcp_syn_retries); a longer timeout only hides the failure.", "5s");

    public static readonly DurationLimits KeepAlivePing = new(
        TimeSpan.FromSeconds(1), "Kestrel and SocketsHttpHandler refuse HTTP/2 ping times under 1 s.",
        TimeSpan.FromHours(1), "the longest common middlebox idle timeout is 20 min; a rarer ping keeps nothing alive.", "30s");

    public static readonly DurationLimits WebSocketKeepAliveInterval = new(
        TimeSpan.FromSeconds(1), "faster keep-alive frames only add traffic; no middlebox forgets a flow that fast.",
        TimeSpan.FromHours(1), "the longest common middlebox idle timeout is 20 min; rarer frames keep nothing alive.", "30s")
    {
        ZeroMeans = "turns keep-alive frames off",
    };

    public static readonly DurationLimits WebSocketKeepAliveTimeout = new(
        TimeSpan.FromSeconds(1), "a PONG needs at least a round trip, and a busy peer answers later.",
        TimeSpan.FromHours(1), "a peer silent for an hour is long dead.", "10s");
}

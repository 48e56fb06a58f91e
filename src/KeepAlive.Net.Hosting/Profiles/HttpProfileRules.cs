using System.Globalization;
using System.Net.Http;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The rules of a profile's <c>Http</c> and <c>WebSocket</c> sections: each value on its own (the limits Kestrel and
/// <see cref="SocketsHttpHandler"/> enforce, checked here so the host stops at start-up instead of at the first
/// connection), then every layer against the middlebox's idle timeout (<c>Heartbeat:PeerIdleTimeout</c>), knowing which
/// side each setting belongs to. Option names are relative to the profile, e.g. <c>Http:KeepAliveTimeout</c>.
/// </summary>
internal static class HttpProfileRules
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    public static List<KeepAliveValidationError> Validate(KeepAliveProfileOptions options)
    {
        var errors = new List<KeepAliveValidationError>();
        if (options.Http is { } http)
        {
            CheckValues(http, errors);
        }

        if (options.WebSocket is { } webSocket)
        {
            CheckValues(webSocket, errors);
        }

        if (errors.Count == 0 && options.Heartbeat?.PeerIdleTimeout is { } peer && peer.Value > TimeSpan.Zero)
        {
            CheckAgainstPeer(options, peer, errors);
        }

        return errors;
    }

    private static void CheckValues(HttpKeepAliveOptions http, List<KeepAliveValidationError> errors)
    {
        Positive(errors, "Http:MaxConnectionAge", http.MaxConnectionAge, "for example \"10m\"");
        Positive(errors, "Http:ConnectionCloseGracePeriod", http.ConnectionCloseGracePeriod, "for example \"30s\"");
        Positive(errors, "Http:KeepAliveTimeout", http.KeepAliveTimeout, "longer than the load balancer's idle timeout, for example \"6m\" behind an AWS NLB");
        Positive(errors, "Http:ConnectTimeout", http.ConnectTimeout, "for example \"5s\"");
        NotNegative(errors, "Http:PooledConnectionIdleTimeout", http.PooledConnectionIdleTimeout, "shorter than the middlebox's idle timeout, for example \"50s\"");
        NotNegative(errors, "Http:PooledConnectionLifetime", http.PooledConnectionLifetime, "for example \"5m\"");
        AtLeastOneSecond(errors, "Http:KeepAlivePingDelay", http.KeepAlivePingDelay);
        AtLeastOneSecond(errors, "Http:KeepAlivePingTimeout", http.KeepAlivePingTimeout);
        if (http.MaxRequestsPerConnection is < 1 and var requests)
        {
            errors.Add(new("Http:MaxRequestsPerConnection", Text($"Http:MaxRequestsPerConnection is {requests}, but a connection must serve at least one request. Fix: set it to 1 or more, for example 1000, or remove it for no limit.")));
        }

        if (http.KeepAlivePingPolicy is { } policy && !Enum.IsDefined(policy))
        {
            errors.Add(new("Http:KeepAlivePingPolicy", Text($"Http:KeepAlivePingPolicy is {policy}, which is not a policy. Fix: write WithActiveRequests or Always.")));
        }

        if (http.MaxConnectionAgeJitter is { } jitter)
        {
            var age = http.MaxConnectionAge ?? http.PooledConnectionLifetime;
            if (jitter < TimeSpan.Zero)
            {
                errors.Add(new("Http:MaxConnectionAgeJitter", Text($"Http:MaxConnectionAgeJitter is {Show(jitter)}, but it must not be negative. Fix: set it to about a tenth of Http:MaxConnectionAge, or remove it.")));
            }
            else if (age is null)
            {
                errors.Add(new("Http:MaxConnectionAgeJitter", Text($"Http:MaxConnectionAgeJitter is {Show(jitter)}, but there is no Http:MaxConnectionAge or Http:PooledConnectionLifetime for it to shorten. Fix: set Http:MaxConnectionAge (server) or Http:PooledConnectionLifetime (client), or remove the jitter.")));
            }
            else if (age > TimeSpan.Zero && jitter >= age)
            {
                errors.Add(new("Http:MaxConnectionAgeJitter", Text($"Http:MaxConnectionAgeJitter is {Show(jitter)}, not less than the age it shortens ({Show(age.Value)}), so a connection could be retired at once. Fix: set it to about a tenth of the age, for example {Show(age.Value / 10)}.")));
            }
        }
    }

    private static void CheckValues(WebSocketKeepAliveOptions webSocket, List<KeepAliveValidationError> errors)
    {
        NotNegative(errors, "WebSocket:KeepAliveInterval", webSocket.KeepAliveInterval, "for example \"30s\"");
        Positive(errors, "WebSocket:KeepAliveTimeout", webSocket.KeepAliveTimeout, "for example \"10s\"");
        if (webSocket.KeepAliveTimeout is { } timeout && timeout > TimeSpan.Zero
            && (webSocket.KeepAliveInterval is not { } interval || interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan))
        {
            errors.Add(new("WebSocket:KeepAliveTimeout", Text($"WebSocket:KeepAliveTimeout is {Show(timeout)}, but without a positive WebSocket:KeepAliveInterval no PING is ever sent, so a dead peer is never detected. Fix: set WebSocket:KeepAliveInterval, for example \"30s\".")));
        }
    }

    private static void CheckAgainstPeer(KeepAliveProfileOptions options, PeerIdleTimeout peer, List<KeepAliveValidationError> errors)
    {
        var http = options.Http;
        var idle = peer.Value;
        if (http?.KeepAliveTimeout is { } serverIdle && serverIdle != Timeout.InfiniteTimeSpan && serverIdle <= idle)
        {
            errors.Add(new("Http:KeepAliveTimeout", Text($"Http:KeepAliveTimeout is {Show(serverIdle)}, not longer than Heartbeat:PeerIdleTimeout {peer}: a server behind a load balancer must keep idle connections open longer than the balancer does, else the balancer sends a request on a connection the server has just closed and the client gets a 502. Fix: set Http:KeepAliveTimeout above {Show(idle)}, for example {Show(idle + Margin(idle))}.")));
        }

        if (http?.PooledConnectionIdleTimeout is { } clientIdle && (clientIdle == Timeout.InfiniteTimeSpan || clientIdle >= idle))
        {
            errors.Add(new("Http:PooledConnectionIdleTimeout", Text($"Http:PooledConnectionIdleTimeout is {Show(clientIdle)}, not shorter than Heartbeat:PeerIdleTimeout {peer}: a client must drop an idle pooled connection before the middlebox forgets it, else the next request is sent into a dead flow. Fix: set Http:PooledConnectionIdleTimeout below {Show(idle)}, for example {Show(idle - Margin(idle))}.")));
        }

        if (http?.KeepAlivePingDelay is { } pingDelay && pingDelay != Timeout.InfiniteTimeSpan && pingDelay >= idle)
        {
            errors.Add(new("Http:KeepAlivePingDelay", Text($"Http:KeepAlivePingDelay is {Show(pingDelay)}, not shorter than Heartbeat:PeerIdleTimeout {peer}: the middlebox forgets a silent HTTP/2 connection before the first PING. Fix: set Http:KeepAlivePingDelay to at most {Show(idle / 2)}.")));
        }

        var ratio = options.Heartbeat!.MaxIntervalToPeerIdleRatio;
        var limit = idle * ratio;
        if (options.WebSocket?.KeepAliveInterval is { } wsInterval && wsInterval > TimeSpan.Zero && wsInterval != Timeout.InfiniteTimeSpan && wsInterval > limit)
        {
            errors.Add(new("WebSocket:KeepAliveInterval", Text($"WebSocket:KeepAliveInterval is {Show(wsInterval)}, over {Show(limit)} = Heartbeat:MaxIntervalToPeerIdleRatio {ratio} x Heartbeat:PeerIdleTimeout {peer}: one late or lost keep-alive frame would let the middlebox drop the WebSocket. Fix: set WebSocket:KeepAliveInterval to at most {Show(limit)}.")));
        }
    }

    private static TimeSpan Margin(TimeSpan idle) => TimeSpan.FromSeconds(Math.Max(5, Math.Round(idle.TotalSeconds / 10)));

    private static void Positive(List<KeepAliveValidationError> errors, string name, TimeSpan? value, string example)
    {
        if (value is { } v && v <= TimeSpan.Zero && v != Timeout.InfiniteTimeSpan)
        {
            errors.Add(new(name, Text($"{name} is {Show(v)}, but it must be more than zero. Fix: set it {example}, or remove it to keep the platform's default.")));
        }
    }

    private static void NotNegative(List<KeepAliveValidationError> errors, string name, TimeSpan? value, string example)
    {
        if (value is { } v && v < TimeSpan.Zero && v != Timeout.InfiniteTimeSpan)
        {
            errors.Add(new(name, Text($"{name} is {Show(v)}, but it must not be negative. Fix: set it {example}, or remove it to keep the platform's default.")));
        }
    }

    private static void AtLeastOneSecond(List<KeepAliveValidationError> errors, string name, TimeSpan? value)
    {
        if (value is { } v && v < OneSecond && v != Timeout.InfiniteTimeSpan)
        {
            errors.Add(new(name, Text($"{name} is {Show(v)}, but Kestrel and SocketsHttpHandler accept 1 second or more. Fix: set it to at least \"1s\", for example \"30s\", or remove it.")));
        }
    }

    internal static string Show(TimeSpan value) => value == Timeout.InfiniteTimeSpan ? "infinite" : KeepAliveDuration.Format(value);

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Net.Http;
using KeepAlive.Net.Hosting.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>Reads the <c>Http</c> and <c>WebSocket</c> sections of a profile (their names and keys are a contract: appsettings use them).</summary>
internal static class HttpProfileSections
{
    public const string Http = nameof(KeepAliveProfileOptions.Http);
    public const string WebSocket = nameof(KeepAliveProfileOptions.WebSocket);

    private static readonly string[] HttpKeys =
    [
        nameof(HttpKeepAliveOptions.MaxConnectionAge),
        nameof(HttpKeepAliveOptions.MaxConnectionAgeJitter),
        nameof(HttpKeepAliveOptions.MaxRequestsPerConnection),
        nameof(HttpKeepAliveOptions.ConnectionCloseGracePeriod),
        nameof(HttpKeepAliveOptions.KeepAliveTimeout),
        nameof(HttpKeepAliveOptions.PooledConnectionIdleTimeout),
        nameof(HttpKeepAliveOptions.PooledConnectionLifetime),
        nameof(HttpKeepAliveOptions.ConnectTimeout),
        nameof(HttpKeepAliveOptions.KeepAlivePingDelay),
        nameof(HttpKeepAliveOptions.KeepAlivePingTimeout),
        nameof(HttpKeepAliveOptions.KeepAlivePingPolicy),
    ];

    private static readonly string[] WebSocketKeys =
    [
        nameof(WebSocketKeepAliveOptions.KeepAliveInterval),
        nameof(WebSocketKeepAliveOptions.KeepAliveTimeout),
    ];

    /// <summary>Reads both sections, when present, into the profile's options with the same reader as the other sections.</summary>
    public static void Bind(SectionReader profile, KeepAliveProfileOptions options)
    {
        if (profile.Child(Http, HttpKeys) is { } http)
        {
            var o = options.Http;
            http.OptionalDuration(nameof(o.MaxConnectionAge), HttpDurationLimits.MaxConnectionAge, v => o.MaxConnectionAge = v);
            http.OptionalDuration(nameof(o.MaxConnectionAgeJitter), HttpDurationLimits.MaxConnectionAgeJitter, v => o.MaxConnectionAgeJitter = v);
            http.Integer(nameof(o.MaxRequestsPerConnection), v => o.MaxRequestsPerConnection = v);
            http.OptionalDuration(nameof(o.ConnectionCloseGracePeriod), HttpDurationLimits.ConnectionCloseGracePeriod, v => o.ConnectionCloseGracePeriod = v);
            http.OptionalDuration(nameof(o.KeepAliveTimeout), HttpDurationLimits.KeepAliveTimeout, v => o.KeepAliveTimeout = v);
            http.OptionalDuration(nameof(o.PooledConnectionIdleTimeout), HttpDurationLimits.PooledConnectionIdleTimeout, v => o.PooledConnectionIdleTimeout = v);
            http.OptionalDuration(nameof(o.PooledConnectionLifetime), HttpDurationLimits.PooledConnectionLifetime, v => o.PooledConnectionLifetime = v);
            http.OptionalDuration(nameof(o.ConnectTimeout), HttpDurationLimits.ConnectTimeout, v => o.ConnectTimeout = v);
            http.OptionalDuration(nameof(o.KeepAlivePingDelay), HttpDurationLimits.KeepAlivePing, v => o.KeepAlivePingDelay = v);
            http.OptionalDuration(nameof(o.KeepAlivePingTimeout), HttpDurationLimits.KeepAlivePing, v => o.KeepAlivePingTimeout = v);
            http.Choice<HttpKeepAlivePingPolicy>(nameof(o.KeepAlivePingPolicy), v => o.KeepAlivePingPolicy = v);
        }

        if (profile.Child(WebSocket, WebSocketKeys) is { } webSocket)
        {
            var o = options.WebSocket;
            webSocket.OptionalDuration(nameof(o.KeepAliveInterval), HttpDurationLimits.WebSocketKeepAliveInterval, v => o.KeepAliveInterval = v);
            webSocket.OptionalDuration(nameof(o.KeepAliveTimeout), HttpDurationLimits.WebSocketKeepAliveTimeout, v => o.KeepAliveTimeout = v);
        }
    }
}

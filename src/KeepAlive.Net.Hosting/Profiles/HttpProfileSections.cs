namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>The names of the <c>Http</c> and <c>WebSocket</c> sections of a profile and their keys (a contract: appsettings use them).</summary>
internal static class HttpProfileSections
{
    public const string Http = nameof(KeepAliveProfileOptions.Http);
    public const string WebSocket = nameof(KeepAliveProfileOptions.WebSocket);

    public static readonly string[] HttpKeys =
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

    public static readonly string[] WebSocketKeys =
    [
        nameof(WebSocketKeepAliveOptions.KeepAliveInterval),
        nameof(WebSocketKeepAliveOptions.KeepAliveTimeout),
    ];
}

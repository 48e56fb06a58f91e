using System.Net.Http;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// The values a new <see cref="SocketsHttpHandler"/> holds (the runtime's defaults, e.g. a 1 minute
/// <see cref="SocketsHttpHandler.PooledConnectionIdleTimeout"/>), read once from one handler: what the profile's rules judge
/// where the profile sets no value, and what a handler's value is compared with to tell a value set by hand.
/// </summary>
internal static class SocketsHttpHandlerDefaults
{
    static SocketsHttpHandlerDefaults()
    {
        using var handler = new SocketsHttpHandler();
        PooledConnectionIdleTimeout = handler.PooledConnectionIdleTimeout;
        PooledConnectionLifetime = handler.PooledConnectionLifetime;
        ConnectTimeout = handler.ConnectTimeout;
        KeepAlivePingDelay = handler.KeepAlivePingDelay;
        KeepAlivePingTimeout = handler.KeepAlivePingTimeout;
        KeepAlivePingPolicy = handler.KeepAlivePingPolicy;
    }

    /// <summary>Gets how long a new handler keeps an idle pooled connection.</summary>
    public static TimeSpan PooledConnectionIdleTimeout { get; }

    /// <summary>Gets how long a new handler keeps a pooled connection at all.</summary>
    public static TimeSpan PooledConnectionLifetime { get; }

    /// <summary>Gets a new handler's connect timeout.</summary>
    public static TimeSpan ConnectTimeout { get; }

    /// <summary>Gets a new handler's HTTP/2 PING delay (none).</summary>
    public static TimeSpan KeepAlivePingDelay { get; }

    /// <summary>Gets a new handler's HTTP/2 PING timeout.</summary>
    public static TimeSpan KeepAlivePingTimeout { get; }

    /// <summary>Gets a new handler's HTTP/2 PING policy.</summary>
    public static HttpKeepAlivePingPolicy KeepAlivePingPolicy { get; }
}

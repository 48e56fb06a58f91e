using System.Net.Http;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>Applies the client half of a profile's <c>Http</c> section to a <see cref="SocketsHttpHandler"/>; unset values leave the handler's own.</summary>
internal static class KeepAliveHandlerSettings
{
    public static void Apply(SocketsHttpHandler handler, HttpKeepAliveOptions http)
    {
        if (http.PooledConnectionIdleTimeout is { } idle)
        {
            handler.PooledConnectionIdleTimeout = idle;
        }

        if (http.PooledConnectionLifetime is { } lifetime)
        {
            handler.PooledConnectionLifetime = AgeJitter.Shorten(lifetime, http.MaxConnectionAgeJitter);
        }

        if (http.ConnectTimeout is { } connect)
        {
            handler.ConnectTimeout = connect;
        }

        if (http.KeepAlivePingDelay is { } delay)
        {
            handler.KeepAlivePingDelay = delay;
        }

        if (http.KeepAlivePingTimeout is { } timeout)
        {
            handler.KeepAlivePingTimeout = timeout;
        }

        if (http.KeepAlivePingPolicy is { } policy)
        {
            handler.KeepAlivePingPolicy = policy;
        }
        else if (http.PeerPermitsPingsWithoutCalls == false)
        {
            handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        }
    }
}

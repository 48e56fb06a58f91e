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
            handler.PooledConnectionLifetime = Shorten(lifetime, http.MaxConnectionAgeJitter);
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

    /// <summary>Takes a random amount of up to <paramref name="jitter"/> off a positive, finite time; anything else is returned unchanged.</summary>
    public static TimeSpan Shorten(TimeSpan value, TimeSpan? jitter) =>
        jitter is { Ticks: > 0 } j && value > TimeSpan.Zero && value != Timeout.InfiniteTimeSpan
            ? value - TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Min(j.Ticks, value.Ticks - 1) + 1))
            : value;
}

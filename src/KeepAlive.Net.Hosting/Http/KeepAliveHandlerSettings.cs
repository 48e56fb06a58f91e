using System.Globalization;
using System.Net.Http;
using KeepAlive.Net.Hosting.Profiles;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>Applies the client half of a profile's <c>Http</c> section to a <see cref="SocketsHttpHandler"/>; unset values leave the handler's own.</summary>
internal static class KeepAliveHandlerSettings
{
    /// <summary>The handler's pool lifetime as <see cref="Values"/> names it: the one value a handler holds other than the profile states it (less its jitter).</summary>
    public const string Lifetime = $"SocketsHttpHandler.{nameof(SocketsHttpHandler.PooledConnectionLifetime)}";

    /// <param name="handler">The handler.</param>
    /// <param name="http">The profile's <c>Http</c> section.</param>
    /// <param name="owner">Who applies the profile, as refusals name it.</param>
    /// <exception cref="InvalidOperationException">The handler's own ping delay, which the profile leaves in place, is below the profile's <c>Http:PeerMinPingInterval</c>.</exception>
    public static void Apply(SocketsHttpHandler handler, HttpKeepAliveOptions http, string owner)
    {
        // The profile's own delay is validated against the server's minimum; one the handler was given by hand stays where
        // the profile sets none, and the server's policy stated in the profile must hold for it too.
        if (http.KeepAlivePingDelay is null && http.PeerMinPingInterval is { } minimum
            && handler.KeepAlivePingDelay != Timeout.InfiniteTimeSpan && handler.KeepAlivePingDelay < minimum)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{owner}: the handler's own KeepAlivePingDelay is {KeepAliveDuration.Format(handler.KeepAlivePingDelay)}, below Http:PeerMinPingInterval {KeepAliveDuration.Format(minimum)}, and the profile sets no Http:KeepAlivePingDelay to replace it: {HttpProfileRules.TooManyPings}. Fix: set Http:KeepAlivePingDelay to at least {KeepAliveDuration.Format(minimum)} in the profile (it replaces the handler's), or remove the handler's KeepAlivePingDelay."));
        }

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

    /// <summary>What <see cref="Apply"/> sets on a handler, by handler setting, as the profile states it (a lifetime with the jitter that shortens it, "5m less up to 30s of Http:MaxConnectionAgeJitter"); a value the profile leaves unset is absent.</summary>
    /// <param name="http">The profile's <c>Http</c> section.</param>
    /// <returns>The values, for a warning that a reload does not reach a handler already set up.</returns>
    public static Dictionary<string, string> Values(HttpKeepAliveOptions http)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string setting, TimeSpan? value)
        {
            if (value is { } set)
            {
                values[$"SocketsHttpHandler.{setting}"] = KeepAliveDuration.Format(set);
            }
        }

        Add(nameof(SocketsHttpHandler.PooledConnectionIdleTimeout), http.PooledConnectionIdleTimeout);
        if (http.PooledConnectionLifetime is { } lifetime)
        {
            values[Lifetime] = KeepAliveDuration.Format(lifetime)
                + (http.MaxConnectionAgeJitter is { Ticks: > 0 } jitter ? $" less up to {KeepAliveDuration.Format(jitter)} of Http:MaxConnectionAgeJitter" : string.Empty);
        }

        Add(nameof(SocketsHttpHandler.ConnectTimeout), http.ConnectTimeout);
        Add(nameof(SocketsHttpHandler.KeepAlivePingDelay), http.KeepAlivePingDelay);
        Add(nameof(SocketsHttpHandler.KeepAlivePingTimeout), http.KeepAlivePingTimeout);
        if ((http.KeepAlivePingPolicy ?? (http.PeerPermitsPingsWithoutCalls == false ? HttpKeepAlivePingPolicy.WithActiveRequests : null)) is { } policy)
        {
            values[$"SocketsHttpHandler.{nameof(SocketsHttpHandler.KeepAlivePingPolicy)}"] = policy.ToString();
        }

        return values;
    }
}

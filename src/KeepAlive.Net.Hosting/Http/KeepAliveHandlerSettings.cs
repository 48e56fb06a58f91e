using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http;
using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Diagnostics;
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
    /// <param name="replaced">
    /// Told of each value the profile replaces that the handler had set by hand (unlike a new handler's default) to something
    /// else: the handler setting, its hand-set value, the profile's key and the profile's value as <see cref="Values"/> states it.
    /// </param>
    /// <exception cref="InvalidOperationException">The handler's own ping delay, which the profile leaves in place, is below the profile's <c>Http:PeerMinPingInterval</c>.</exception>
    /// <param name="presetLifetime">
    /// A lifetime the handler's maker preset, not the user: HttpClientFactory's default primary handler (since .NET 9) has its
    /// <see cref="SocketsHttpHandler.PooledConnectionLifetime"/> preset to the client's HandlerLifetime. Not reported as set by hand.
    /// </param>
    public static void Apply(SocketsHttpHandler handler, HttpKeepAliveOptions http, string owner, HandSetReplaced? replaced = null, TimeSpan? presetLifetime = null)
    {
        // The profile's own delay is validated against the server's minimum; one the handler was given by hand stays where
        // the profile sets none, and the server's policy stated in the profile must hold for it too.
        if (http.KeepAlivePingDelay is null && http.PeerMinPingInterval is { } minimum
            && handler.KeepAlivePingDelay != Timeout.InfiniteTimeSpan && handler.KeepAlivePingDelay < minimum)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{owner}: the handler's own KeepAlivePingDelay is {KeepAliveDuration.Format(handler.KeepAlivePingDelay)}, below Http:PeerMinPingInterval {KeepAliveDuration.Format(minimum)}, and the profile sets no Http:KeepAlivePingDelay to replace it: {HttpProfileRules.TooManyPings}. Fix: set Http:KeepAlivePingDelay to at least {KeepAliveDuration.Format(minimum)} in the profile (it replaces the handler's), or remove the handler's KeepAlivePingDelay."));
        }

        if (replaced is not null)
        {
            ReportHandSet(handler, http, replaced, presetLifetime);
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

        if (Policy(http) is { } policy)
        {
            handler.KeepAlivePingPolicy = policy;
        }
    }

    /// <summary>
    /// Warns (event <see cref="KeepAliveEventIds.ClientOptionOverridden"/>, through the profiles' logging) of each value set by
    /// hand on <paramref name="client"/>'s handler (or its <c>ClientWebSocketOptions</c>) that the profile replaces; once per value
    /// when <paramref name="reported"/> is given (a factory's handler, built again every HandlerLifetime). A lifetime
    /// <paramref name="options"/> sets wins over both, so the profile's replacing the handler's is not said.
    /// </summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="client">The handler's owner, as the warning names it.</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="options">The per-connection options, already configured, or <see langword="null"/> where there are none (a WebSocket's options).</param>
    /// <param name="reported">What was said already, or <see langword="null"/> to say each.</param>
    /// <returns>What <see cref="Apply"/> calls.</returns>
    public static HandSetReplaced Warn(IKeepAliveProfiles profiles, string client, string profileName, KeepAliveHttpClientOptions? options, ConcurrentDictionary<string, bool>? reported = null)
    {
        var logger = KeepAliveProfiles.LoggerOf(profiles);
        return (setting, handSet, profileKey, profileValue) =>
        {
            if ((setting == Lifetime && options?.PooledConnectionLifetime is not null) || reported?.TryAdd($"{setting}={handSet}>{profileValue}", true) == false)
            {
                return;
            }

            Log.ClientOptionOverridden(logger, client, setting, handSet, profileName, profileKey, profileValue, KeepAliveClientSettings.RemoveFromProfile(profileKey));
        };
    }

    /// <summary>A value of the profile that replaced one the handler (or a WebSocket's options) had set by hand (see <see cref="Apply"/>).</summary>
    /// <param name="setting">The client's setting, e.g. <c>SocketsHttpHandler.PooledConnectionLifetime</c>.</param>
    /// <param name="handSet">The value it was set to by hand.</param>
    /// <param name="profileKey">The profile's key that replaced it, e.g. <c>Http:PooledConnectionLifetime</c>.</param>
    /// <param name="profileValue">The profile's value, as <see cref="Values"/> states it.</param>
    public delegate void HandSetReplaced(string setting, string handSet, string profileKey, string profileValue);

    // The ping policy the profile sets: its own, or the one a server that refuses pings without calls needs.
    private static HttpKeepAlivePingPolicy? Policy(HttpKeepAliveOptions http) =>
        http.KeepAlivePingPolicy ?? (http.PeerPermitsPingsWithoutCalls == false ? HttpKeepAlivePingPolicy.WithActiveRequests : null);

    /// <summary>
    /// Tells <paramref name="replaced"/> of a duration set by hand that the profile replaces: one the profile sets, unlike the
    /// client's default (which cannot be told from unset) and unlike the profile's own.
    /// </summary>
    /// <param name="replaced">What is told.</param>
    /// <param name="setting">The client's setting, e.g. <c>ClientWebSocketOptions.KeepAliveInterval</c>.</param>
    /// <param name="profileKey">The profile's key that replaces it, e.g. <c>WebSocket:KeepAliveInterval</c>.</param>
    /// <param name="current">The setting's value before the profile's.</param>
    /// <param name="byDefault">The setting's value on a new client.</param>
    /// <param name="fromProfile">The profile's value, or <see langword="null"/> where it leaves the setting alone.</param>
    public static void ReportIfHandSet(HandSetReplaced replaced, string setting, string profileKey, TimeSpan current, TimeSpan byDefault, TimeSpan? fromProfile) =>
        ReportIfHandSet(replaced, setting, profileKey, current, byDefault, fromProfile, FrameworkDuration.Format, KeepAliveDuration.Format);

    private static void ReportIfHandSet<T>(HandSetReplaced replaced, string setting, string profileKey, T current, T byDefault, T? fromProfile, Func<T, string> format, Func<T, string> stateProfiles)
        where T : struct
    {
        if (fromProfile is { } value && !EqualityComparer<T>.Default.Equals(current, byDefault) && !EqualityComparer<T>.Default.Equals(current, value))
        {
            replaced(setting, format(current), profileKey, stateProfiles(value));
        }
    }

    // A value set by hand differs from a new handler's default; one equal to the profile's (before its jitter) is no conflict.
    private static void ReportHandSet(SocketsHttpHandler handler, HttpKeepAliveOptions http, HandSetReplaced replaced, TimeSpan? presetLifetime)
    {
        var stated = Values(http);
        void Check<T>(string name, string profileKey, T current, T byDefault, T? fromProfile, Func<T, string> format)
            where T : struct =>
            ReportIfHandSet(replaced, $"SocketsHttpHandler.{name}", profileKey, current, byDefault, fromProfile, format, _ => stated[$"SocketsHttpHandler.{name}"]);

        void CheckDuration(string name, TimeSpan current, TimeSpan byDefault, TimeSpan? fromProfile) =>
            Check(name, $"Http:{name}", current, byDefault, fromProfile, FrameworkDuration.Format);

        CheckDuration(nameof(SocketsHttpHandler.PooledConnectionIdleTimeout), handler.PooledConnectionIdleTimeout, SocketsHttpHandlerDefaults.PooledConnectionIdleTimeout, http.PooledConnectionIdleTimeout);
        if (handler.PooledConnectionLifetime != presetLifetime)
        {
            CheckDuration(nameof(SocketsHttpHandler.PooledConnectionLifetime), handler.PooledConnectionLifetime, SocketsHttpHandlerDefaults.PooledConnectionLifetime, http.PooledConnectionLifetime);
        }

        CheckDuration(nameof(SocketsHttpHandler.ConnectTimeout), handler.ConnectTimeout, SocketsHttpHandlerDefaults.ConnectTimeout, http.ConnectTimeout);
        CheckDuration(nameof(SocketsHttpHandler.KeepAlivePingDelay), handler.KeepAlivePingDelay, SocketsHttpHandlerDefaults.KeepAlivePingDelay, http.KeepAlivePingDelay);
        CheckDuration(nameof(SocketsHttpHandler.KeepAlivePingTimeout), handler.KeepAlivePingTimeout, SocketsHttpHandlerDefaults.KeepAlivePingTimeout, http.KeepAlivePingTimeout);
        Check(nameof(SocketsHttpHandler.KeepAlivePingPolicy), http.KeepAlivePingPolicy is null ? "Http:PeerPermitsPingsWithoutCalls" : "Http:KeepAlivePingPolicy",
            handler.KeepAlivePingPolicy, SocketsHttpHandlerDefaults.KeepAlivePingPolicy, Policy(http), static p => p.ToString());
    }

    /// <summary>
    /// <see cref="Values"/> of the profile's <c>Http</c> section as it is now, read at each call: what a reload watcher compares
    /// with the values a handler took once (<c>ClientReloadWatch</c>). Made here, the function holds the profiles and the name
    /// only: a lambda written where the handler is set up would share that closure, and the profiles would hold the handler
    /// (and a gRPC channel) through the watcher.
    /// </summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <param name="withoutLifetime">As <see cref="Values"/>.</param>
    public static Func<IReadOnlyDictionary<string, string>> ValuesNow(IKeepAliveProfiles profiles, string profileName, bool withoutLifetime = false) =>
        () => Values(profiles.GetProfile(profileName).Http, withoutLifetime);

    /// <summary>What <see cref="Apply"/> sets on a handler, by handler setting, as the profile states it (a lifetime with the jitter that shortens it, "5m less up to 30s of Http:MaxConnectionAgeJitter"); a value the profile leaves unset is absent.</summary>
    /// <param name="http">The profile's <c>Http</c> section.</param>
    /// <param name="withoutLifetime">
    /// The handler runs with a <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/> of the per-connection options,
    /// which wins over the profile's: the profile's lifetime is not one of the handler's values.
    /// </param>
    /// <returns>The values, for a warning that a reload does not reach a handler already set up.</returns>
    public static Dictionary<string, string> Values(HttpKeepAliveOptions http, bool withoutLifetime = false)
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
        if (!withoutLifetime && http.PooledConnectionLifetime is { } lifetime)
        {
            values[Lifetime] = KeepAliveDuration.Format(lifetime)
                + (http.MaxConnectionAgeJitter is { Ticks: > 0 } jitter ? $" less up to {KeepAliveDuration.Format(jitter)} of Http:MaxConnectionAgeJitter" : string.Empty);
        }

        Add(nameof(SocketsHttpHandler.ConnectTimeout), http.ConnectTimeout);
        Add(nameof(SocketsHttpHandler.KeepAlivePingDelay), http.KeepAlivePingDelay);
        Add(nameof(SocketsHttpHandler.KeepAlivePingTimeout), http.KeepAlivePingTimeout);
        if (Policy(http) is { } policy)
        {
            values[$"SocketsHttpHandler.{nameof(SocketsHttpHandler.KeepAlivePingPolicy)}"] = policy.ToString();
        }

        return values;
    }
}

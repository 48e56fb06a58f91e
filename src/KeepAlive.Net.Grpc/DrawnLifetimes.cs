using System.Collections.Concurrent;
using System.Net.Http;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Http;

namespace KeepAlive.Net.Grpc;

/// <summary>
/// The pool lifetimes that <c>Http:MaxConnectionAgeJitter</c> drew for the handlers of the channels set up from one profile
/// with the same values: each handler has its own, and the one warning they share (3204) names those of the handlers still
/// alive, to the millisecond. Holds the handlers weakly, so that it keeps no channel alive.
/// </summary>
internal sealed class DrawnLifetimes
{
    private static readonly ConditionalWeakTable<IKeepAliveProfiles, ConcurrentDictionary<string, DrawnLifetimes>> ByProfiles = [];

    private readonly List<WeakReference<SocketsHttpHandler>> _handlers = [];
    private readonly string _stated;

    private DrawnLifetimes(string stated) => _stated = stated;

    /// <summary>
    /// Adds a handler that took <paramref name="taken"/> from the profile to those drawn with the same values; none when its
    /// pool lifetime is as the profile states it (no jitter, or no lifetime set).
    /// </summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="taken">The values the handler took, as the profile states them.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>The lifetimes drawn with these values, or <see langword="null"/> when the handler drew none.</returns>
    public static DrawnLifetimes? Of(IKeepAliveProfiles profiles, string profileName, IReadOnlyDictionary<string, string> taken, SocketsHttpHandler handler)
    {
        if (!taken.TryGetValue(KeepAliveHandlerSettings.Lifetime, out var stated) || stated == Show(handler.PooledConnectionLifetime))
        {
            return null;
        }

        var key = string.Join('\n', [profileName.ToUpperInvariant(), .. taken.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}")]);
        var drawn = ByProfiles.GetOrCreateValue(profiles).GetOrAdd(key, _ => new DrawnLifetimes(stated));
        lock (drawn._handlers)
        {
            // Once per handler: channels over one handler of yours share its one draw.
            drawn._handlers.RemoveAll(static h => !h.TryGetTarget(out _));
            if (!drawn._handlers.Exists(h => h.TryGetTarget(out var known) && ReferenceEquals(known, handler)))
            {
                drawn._handlers.Add(new WeakReference<SocketsHttpHandler>(handler));
            }
        }

        return drawn;
    }

    /// <summary>
    /// Names the pool lifetime as the live handlers have it, with what the profile stated: "4m41s327ms (from 5m less up to 30s
    /// of Http:MaxConnectionAgeJitter)" for one, "4m31s2ms to 4m58s100ms in 3 handlers (from ...)" for several.
    /// </summary>
    /// <returns>The lifetime in force, by handler setting.</returns>
    public IReadOnlyDictionary<string, string> InForce()
    {
        List<TimeSpan> lifetimes = [];
        lock (_handlers)
        {
            foreach (var reference in _handlers)
            {
                if (reference.TryGetTarget(out var handler))
                {
                    lifetimes.Add(handler.PooledConnectionLifetime);
                }
            }
        }

        lifetimes.Sort();
        var named = lifetimes switch
        {
            [] => _stated,
            [var one] => $"{Show(one)} (from {_stated})",
            _ when Show(lifetimes[0]) == Show(lifetimes[^1]) => $"{Show(lifetimes[0])} in {lifetimes.Count} handlers (from {_stated})",
            _ => $"{Show(lifetimes[0])} to {Show(lifetimes[^1])} in {lifetimes.Count} handlers (from {_stated})",
        };
        return new Dictionary<string, string>(StringComparer.Ordinal) { [KeepAliveHandlerSettings.Lifetime] = named };
    }

    // To the millisecond: the jitter draws to the tick, a precision no pool timer has.
    private static string Show(TimeSpan lifetime) => KeepAliveDuration.Format(lifetime, TimeSpan.FromMilliseconds(1));
}

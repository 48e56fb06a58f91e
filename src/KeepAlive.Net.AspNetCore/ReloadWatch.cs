using System.Runtime.CompilerServices;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Says when an accepted reload of a profile changes what ASP.NET Core took once (server-wide Kestrel and WebSocket
/// values at bind time, the hubs' values when they were set up): event 3106 names each value that stays. The values
/// that reach each new connection (the <c>Tcp</c> section, retirement) follow reloads and are not watched here.
/// </summary>
internal static class ReloadWatch
{
    // One watcher per service provider and watched set (two endpoints with one profile warn once per reload).
    private static readonly ConditionalWeakTable<IServiceProvider, HashSet<string>> Watching = [];

    /// <summary>Warns after every accepted reload of <paramref name="profileName"/> that changes one of <paramref name="values"/>.</summary>
    /// <param name="services">The application's services (its options monitor and logger).</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="what">Who took the values, e.g. "Kestrel".</param>
    /// <param name="values">The values as taken, by setting, from the profiles: called now and after each accepted reload.</param>
    public static void Warn(IServiceProvider services, string profileName, string what, Func<IKeepAliveProfiles, IReadOnlyDictionary<string, string>> values)
    {
        var monitor = services.GetService<IOptionsMonitor<KeepAliveProfileOptions>>();
        var profiles = services.GetService<IKeepAliveProfiles>();
        if (monitor is null || profiles is null)
        {
            return;
        }

        var taken = values(profiles);
        var watching = Watching.GetOrCreateValue(services);
        lock (watching)
        {
            if (!watching.Add(string.Join('\n', [profileName.ToUpperInvariant(), what, .. taken.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}")])))
            {
                return;
            }
        }

        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("KeepAlive.Net.AspNetCore");
        monitor.OnChange((_, name) =>
        {
            if (!string.Equals(name, profileName, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            string changes;
            try
            {
                var now = values(profiles);
                changes = TakenOnce.Changes(taken, now, "ASP.NET Core");
            }
            catch (OptionsValidationException ex)
            {
                changes = $"every value stays, and the reloaded profile does not suit it: {string.Join(" | ", ex.Failures)}";
            }

            if (changes.Length > 0)
            {
                Log.ServerReloadNotApplied(logger, what, profileName, changes);
            }
        });
    }
}

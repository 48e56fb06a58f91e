using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Says when an accepted reload of a profile changes what ASP.NET Core took once (server-wide Kestrel and WebSocket
/// values at bind time, the hubs' values when they were set up): event 3106 names each value that stays. The values
/// that reach each new connection (the <c>Tcp</c> section, retirement) follow reloads and are not watched here. It takes
/// the route of the client packages' 3204 (<see cref="ClientReloadWatch.Watch"/>): one watcher per application's profiles
/// and watched values (two endpoints with one profile warn once per reload), for as long as the application's services.
/// </summary>
internal static class ReloadWatch
{
    private const string Fix = "restart the service"; // as event 3106 says it; distinguishes its watchers from the clients'

    /// <summary>The fix event 3106 gives when a restart is all the values need.</summary>
    private const string RestartFix = "restart the service to apply them (ASP.NET Core reads them once)";

    /// <summary>How warning 3106 marks a value in force that code set after <paramref name="call"/>, over the profile's (a restart keeps it).</summary>
    public static string SetInCodeAfter(string call) => $", set in code after {call}";

    /// <summary>The step warning 3106 asks for values set in code that win over the profile: a restart alone keeps them.</summary>
    public static string RemoveAssignments(IEnumerable<string> assignments) =>
        $"remove {string.Join(" and ", assignments)}, which win over the profile";

    /// <summary>
    /// The fix warning 3106 gives where a restart alone is not it: every step a restart needs first (none: <see langword="null"/>,
    /// the restart is the fix), then the restart, with <paramref name="why"/> after it.
    /// </summary>
    public static string? ThenRestart(IReadOnlyList<string> steps, string? why = null) => steps.Count switch
    {
        0 => null,
        1 => $"{steps[0]}, then restart the service{why}",
        _ => $"{string.Join("; ", steps)}; then restart the service{why}",
    };

    // Whom a reloaded profile that a restart would refuse does not suit, as warning 3106 says it.
    private const string Unsuited = "it";

    // Why warning 3106 puts the refusal's own fix before the restart, where the reloaded profile does not suit what took the values.
    private const string UnsuitedWhy = " (restarted as it is, the host does not start)";

    /// <summary>Warns after every accepted reload of <paramref name="profileName"/> that changes one of <paramref name="values"/>.</summary>
    /// <param name="services">The application's services (its profiles and logger).</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="what">Who took the values, e.g. "Kestrel".</param>
    /// <param name="values">The values as taken, by setting, from the profiles: called now and after each accepted reload.</param>
    /// <param name="fixFor">
    /// The fix for the changes as the warning lists them, where a restart alone is not it; <see langword="null"/> (or a
    /// <see langword="null"/> answer): restart the service.
    /// </param>
    /// <param name="inForce">
    /// How the values that stay are named where they are in force other than as the profile gave them (code set them), by
    /// setting, at each reload; <see langword="null"/>: as taken.
    /// </param>
    /// <param name="taken">The values as taken, where <paramref name="values"/> may be called after reloads only; <see langword="null"/>: <paramref name="values"/> now.</param>
    public static void Warn(IServiceProvider services, string profileName, string what, Func<IKeepAliveProfiles, IReadOnlyDictionary<string, string>> values, Func<string, string?>? fixFor = null, Func<IReadOnlyDictionary<string, string>>? inForce = null, IReadOnlyDictionary<string, string>? taken = null)
    {
        var registered = services.GetService<KeepAliveProfiles>();
        var profiles = services.GetService<IKeepAliveProfiles>();
        if (registered is null || profiles is null)
        {
            return;
        }

        // Kestrel and the hubs live as long as the application's services, which dispose the profiles and the watcher.
        var logger = KeepAliveProfileMetrics.Logger(services, "KeepAlive.Net.AspNetCore");
        ClientReloadWatch.Watch(registered, profileName, what, Fix, heldBy: null, taken ?? values(profiles), () => values(profiles), "ASP.NET Core", Unsuited,
            (changes, first) => Log.ServerReloadNotApplied(logger, what, profileName, changes, first is null ? fixFor?.Invoke(changes) ?? RestartFix : ThenRestart([first], UnsuitedWhy)!), inForce);
    }
}

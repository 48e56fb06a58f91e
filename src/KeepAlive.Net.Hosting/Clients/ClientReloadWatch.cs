using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// The one watcher of "a client took these values once": after every accepted reload of the profile that changes one of
/// them, event <see cref="KeepAliveEventIds.ClientReloadNotApplied"/> names each value that stays, what the profile now
/// says, and the fix. For the client packages (<see cref="KeepAliveClientSettings.WarnWhenReloadsAreNotTaken"/>), a gRPC
/// channel's handler and a SignalR hub connection; ASP.NET Core's event 3106 (what Kestrel and the hubs took once) takes
/// the same route, <see cref="Watch"/>. The health check's 3006 does not: it watches a configuration section, not a profile.
/// </summary>
internal static class ClientReloadWatch
{
    /// <summary>
    /// Warns after every accepted reload that changes one of <paramref name="taken"/>, while <paramref name="heldBy"/> (or
    /// that of a client set up again with the same values) lives; profiles that are not reloadable (an
    /// <see cref="IKeepAliveProfiles"/> of your own) never warn.
    /// </summary>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="client">Who took the values, e.g. "NATS.Net"; also who keeps its own value for a setting the profile leaves alone.</param>
    /// <param name="fix">How to move the client onto the reloaded values.</param>
    /// <param name="logger">Where the warning goes.</param>
    /// <param name="taken">The values taken, by client setting.</param>
    /// <param name="heldBy">
    /// What keeps the values for as long as any client made from them lives: a hook the client calls for every socket it
    /// opens, reconnections included, or the handler it sends through. Held weakly: once it has been collected (every such
    /// client disposed and dropped), or released (a <see cref="ClientHold"/> the client's disposal released), the warning
    /// stops. <see langword="null"/>: for as long as the profiles.
    /// </param>
    /// <param name="now">The reloaded profile's values, by client setting (throws <see cref="OptionsValidationException"/> when the profile no longer suits the client).</param>
    /// <param name="inForce">
    /// At each reload, how the values that stay are named where clients have them other than as <paramref name="taken"/> states
    /// them (a pool lifetime less each handler's own jitter), by client setting; <see langword="null"/>: as taken. What the
    /// watcher is about, and what a reload is compared with, stays <paramref name="taken"/>: clients that drew their own
    /// share one watcher and one warning.
    /// </param>
    /// <param name="sayNow">
    /// The client was found to keep <paramref name="taken"/> only after reloads may have changed the profile (a handler a
    /// factory returns again): what differs already is said at once, and a later reload that leaves the profile's values
    /// as they were then is not said again.
    /// </param>
    public static void Warn(IKeepAliveProfiles profiles, string profileName, string client, string fix, ILogger logger, object? heldBy, IReadOnlyDictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now, Func<IReadOnlyDictionary<string, string>>? inForce = null, bool sayNow = false)
    {
        if (profiles is KeepAliveProfiles registered)
        {
            Watch(registered, profileName, client, fix, heldBy, taken, now, client, client, (changes, first) => Log.ClientReloadNotApplied(logger, client, profileName, JustAccepted, changes, Then(first, fix)), inForce,
                sayNow ? (changes, first) => Log.ClientReloadNotApplied(logger, client, profileName, AcceptedSince, changes, Then(first, fix)) : null);
        }
    }

    /// <summary>What 3204 says does not reach the values, after a reload.</summary>
    public const string JustAccepted = "the reload just accepted";

    /// <summary>What 3204 says does not reach the values, when it is said once the client is found to keep them.</summary>
    private const string AcceptedSince = "a reload accepted since";

    /// <summary>
    /// The route every "took these values once" warning takes (3204 here, 3106 for ASP.NET Core): after every accepted
    /// reload of the profile, while <paramref name="heldBy"/> or a holder of the same watcher lives, <paramref name="report"/>
    /// gets each value of <paramref name="taken"/> that stays and what the profile now says, or why the reloaded profile
    /// does not suit <paramref name="unsuited"/>; a reload that changes none of them reports nothing.
    /// </summary>
    /// <param name="profiles">The registered profiles, whose accepted reloads are watched.</param>
    /// <param name="profileName">The profile.</param>
    /// <param name="what">Who took the values, as the warning names it (one watcher per profile, what, fix and values).</param>
    /// <param name="fix">The fix the warning gives.</param>
    /// <param name="heldBy">What keeps the values (held weakly), or <see langword="null"/>: as long as the profiles.</param>
    /// <param name="taken">The values taken, by setting.</param>
    /// <param name="now">The reloaded profile's values, by setting (throws <see cref="OptionsValidationException"/> when the profile no longer suits).</param>
    /// <param name="owner">Who keeps its own value for a setting the profile leaves alone.</param>
    /// <param name="unsuited">Whom a reloaded profile that is refused does not suit.</param>
    /// <param name="report">
    /// Logs the changes, with the fix the refusal gives where the reloaded profile does not suit <paramref name="unsuited"/>
    /// (its step before the warning's own fix: <see cref="Then"/>), else <see langword="null"/>.
    /// </param>
    /// <param name="inForce">How the values that stay are named where they are in force other than as taken, by setting, at each reload; <see langword="null"/>: as taken.</param>
    /// <param name="sayNow">
    /// Set when the values may already differ from the profile's (reloads accepted before the client was found to keep
    /// them): gets what differs at once, as <paramref name="report"/> does, and a later reload that leaves the profile's
    /// values as they were then reports nothing.
    /// </param>
    public static void Watch(KeepAliveProfiles profiles, string profileName, string what, string fix, object? heldBy, IReadOnlyDictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now, string owner, string unsuited, Action<string, string?> report, Func<IReadOnlyDictionary<string, string>>? inForce = null, Action<string, string?>? sayNow = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        // One watcher per what, fix and values: a client set up again with the same values shares it.
        var key = string.Join('\n', [what, fix, .. taken.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}")]);

        (string Changes, IReadOnlyDictionary<string, string>? Now, string? First) Compare() => Changes(taken, now, owner, unsuited, inForce);

        // The profile's values when what differs was said at once: not said again until a reload changes them.
        IReadOnlyDictionary<string, string>? said = null;
        if (sayNow is not null && Compare() is { Changes.Length: > 0 } already)
        {
            sayNow(already.Changes, already.First);
            said = already.Now;
        }

        profiles.WatchAcceptedReloads(profileName, key, heldBy, () =>
        {
            var (changes, values, first) = Compare();
            if (said is not null && values is not null && TakenOnce.Changes(said, values, owner).Length == 0)
            {
                return;
            }

            said = null;
            if (changes.Length > 0)
            {
                report(changes, first);
            }
        });
    }

    /// <summary>
    /// Whether the profile's values now differ from <paramref name="taken"/>, or the profile no longer suits the client: the
    /// rule <see cref="Watch"/> warns by, for a client that must know before it is watched (a handler found again after
    /// reloads may have changed them).
    /// </summary>
    /// <param name="taken">The values taken, by setting.</param>
    /// <param name="now">The profile's values now, by setting (throws <see cref="OptionsValidationException"/> when the profile no longer suits).</param>
    /// <returns><see langword="true"/> when a reload changed one of them, or the profile no longer suits.</returns>
    public static bool Differs(IReadOnlyDictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now) =>
        Changes(taken, now, owner: string.Empty, unsuited: string.Empty, inForce: null).Changes.Length > 0;

    /// <summary>
    /// The one fix a warning gives where the reloaded profile does not suit: the refusal's own fix (<paramref name="first"/>),
    /// then the warning's (<paramref name="fix"/>); <paramref name="fix"/> alone where it suits (<paramref name="first"/> is <see langword="null"/>).
    /// </summary>
    /// <param name="first">The refusal's fix, as <see cref="Watch"/> reports it, or <see langword="null"/>.</param>
    /// <param name="fix">The warning's own fix.</param>
    /// <returns>The fix the warning gives.</returns>
    public static string Then(string? first, string fix) => first is null ? fix : $"{first}, then {fix}";

    /// <summary>How the warning says that the reloaded profile no longer suits <paramref name="unsuited"/>.</summary>
    public static string DoesNotSuit(string unsuited) => $"the reloaded profile does not suit {unsuited}";

    /// <summary>
    /// What differs between <paramref name="taken"/> and the profile's values now, as the warning says it, the values it was
    /// found with (<see langword="null"/>: the profile no longer suits <paramref name="unsuited"/>), and then the fixes the
    /// refusal gives, taken out of its failures so that the warning gives one fix (<see langword="null"/>: it suits, or gives none).
    /// </summary>
    private static (string Changes, IReadOnlyDictionary<string, string>? Now, string? First) Changes(IReadOnlyDictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now, string owner, string unsuited, Func<IReadOnlyDictionary<string, string>>? inForce)
    {
        try
        {
            var values = now();
            return (TakenOnce.Changes(taken, values, owner, inForce: inForce?.Invoke()), values, null);
        }
        catch (OptionsValidationException ex)
        {
            // Each failure's own "Fix: ..." becomes the first step of the warning's one fix; the warning ends the changes
            // with ". Fix:", so the failures' own full stops go.
            var failures = ex.Failures.Select(static failure => failure.LastIndexOf(FixMark, StringComparison.Ordinal) is var at and >= 0
                ? (Why: failure[..at], Fix: failure[(at + FixMark.Length)..]) : (Why: failure, Fix: null)).ToList();
            var fixes = failures.Where(static f => !string.IsNullOrWhiteSpace(f.Fix)).Select(static f => WithoutFullStop(f.Fix!.Trim())).ToList();
            return ($"every value stays, and {DoesNotSuit(unsuited)}: {string.Join(" | ", failures.Select(static f => WithoutFullStop(f.Why.TrimEnd())))}", null,
                fixes.Count == 0 ? null : string.Join("; ", fixes));
        }
    }

    /// <summary>Where a refusal's failure gives its fix.</summary>
    private const string FixMark = " Fix: ";

    private static string WithoutFullStop(string text) => text.EndsWith('.') ? text[..^1] : text;
}

using KeepAlive.Net.Hosting.Diagnostics;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// The one watcher of "a client took these values once": after every accepted reload of the profile that changes one of
/// them, event <see cref="KeepAliveEventIds.ClientReloadNotApplied"/> names each value that stays, what the profile now
/// says, and the fix. For the client packages (<see cref="KeepAliveClientSettings.WarnWhenReloadsAreNotTaken"/>), a gRPC
/// channel's handler and a SignalR hub connection.
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
    /// client disposed and dropped) the warning stops. <see langword="null"/>: for as long as the profiles.
    /// </param>
    /// <param name="now">The reloaded profile's values, by client setting (throws <see cref="OptionsValidationException"/> when the profile no longer suits the client).</param>
    public static void Warn(IKeepAliveProfiles profiles, string profileName, string client, string fix, ILogger logger, object? heldBy, IReadOnlyDictionary<string, string> taken, Func<IReadOnlyDictionary<string, string>> now)
    {
        if (profiles is not KeepAliveProfiles registered)
        {
            return;
        }

        // One watcher per client, fix and values: a client set up again with the same values shares it.
        var key = string.Join('\n', [client, fix, .. taken.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}")]);
        registered.WatchAcceptedReloads(profileName, key, heldBy, () =>
        {
            string changes;
            try
            {
                changes = TakenOnce.Changes(taken, now(), client);
            }
            catch (OptionsValidationException ex)
            {
                changes = $"every value stays, and the reloaded profile does not suit {client}: {string.Join(" | ", ex.Failures)}";
            }

            if (changes.Length > 0)
            {
                Log.ClientReloadNotApplied(logger, client, profileName, changes, fix);
            }
        });
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Watches configuration sections for reloads, one subscription per distinct reload token. A section's reload token is its
/// configuration root's, so one reload of a configuration runs the callback once, however many of its sections are watched;
/// sections of another configuration (another token) have their own subscription, so no reload is lost.
/// </summary>
internal static class ConfigurationReloads
{
    /// <summary>Runs <paramref name="onReload"/> at each reload of a watched configuration, with the watched items it holds.</summary>
    /// <typeparam name="T">What is watched: a section, or what reads one.</typeparam>
    /// <param name="watched">The items to watch.</param>
    /// <param name="sectionOf">The section an item reads.</param>
    /// <param name="onReload">Runs once per reload of a configuration, with the items whose sections it holds.</param>
    /// <returns>The subscriptions, one per distinct reload token, for the caller to dispose.</returns>
    public static List<IDisposable> Watch<T>(IEnumerable<T> watched, Func<T, IConfiguration> sectionOf, Action<IReadOnlyList<T>> onReload) =>
        [.. watched.GroupBy(w => sectionOf(w).GetReloadToken(), ReferenceEqualityComparer.Instance).Select(token =>
        {
            IReadOnlyList<T> items = [.. token];
            var section = sectionOf(items[0]);
            return ChangeToken.OnChange(section.GetReloadToken, () => onReload(items));
        })];
}

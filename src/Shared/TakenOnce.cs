namespace KeepAlive.Net;

/// <summary>
/// The one wording of "a reload changed a value that was taken once": each setting whose value differs, as it stays and
/// as the profile now says it. Compiled into KeepAlive.Net.Hosting, whose one watcher of profile reloads says it for the
/// client packages (3204) and ASP.NET Core (3106), and whose health check says it for its section (3006).
/// </summary>
internal static class TakenOnce
{
    /// <summary>Describes what differs between the values taken and the reloaded profile's.</summary>
    /// <param name="taken">The values taken, by setting.</param>
    /// <param name="now">The reloaded profile's values, by setting; a setting the profile leaves alone is absent.</param>
    /// <param name="owner">Who keeps its own value for an absent setting, e.g. "Npgsql".</param>
    /// <param name="source">What was reloaded: the profile, or the health check's section.</param>
    /// <param name="inForce">
    /// How a value that stays is named where it is in force other than as taken (a pool lifetime less the jitter each client
    /// drew), by setting; compared as <paramref name="taken"/> says it. <see langword="null"/>: as taken.
    /// </param>
    /// <returns>"X stays 5s (the profile now says 20s); ...", or an empty string when nothing differs.</returns>
    public static string Changes(IReadOnlyDictionary<string, string> taken, IReadOnlyDictionary<string, string> now, string owner, string source = "the profile", IReadOnlyDictionary<string, string>? inForce = null) =>
        string.Join("; ", taken.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(setting => taken.GetValueOrDefault(setting) != now.GetValueOrDefault(setting))
            .Select(setting => $"{setting} stays {inForce?.GetValueOrDefault(setting) ?? taken.GetValueOrDefault(setting) ?? $"{owner}'s own"} ({source} now says {now.GetValueOrDefault(setting) ?? $"nothing: {owner}'s own"})"));
}

using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Where a refused value of a profile comes from, when the profile's values come from more than one configuration source
/// (appsettings.json and appsettings.Production.json, a file and environment variables): the path alone does not say which
/// file to fix. Each source is named as the configuration's providers describe themselves (their <c>ToString()</c>, as
/// <c>IConfigurationRoot.GetDebugView()</c> shows them: <c>JsonConfigurationProvider for 'appsettings.Production.json'
/// (Optional)</c>), never guessed: a profile read from one source, or from a configuration whose providers are not known,
/// gets no note.
/// </summary>
internal static class ValueOrigin
{
    /// <summary>
    /// The note for each refused path of a profile (see the class), or <see langword="null"/> when its values come from one
    /// source or their sources are not known.
    /// </summary>
    /// <param name="section">The profile's section (or a configuration's root) as given to <c>AddKeepAlive</c>.</param>
    /// <param name="path">The section's path (empty for a root).</param>
    /// <param name="host">The host's configuration: the root of a section given from it, whose providers name the sources.</param>
    /// <returns>A function from a configuration path to the sentence to add, or <see langword="null"/> for a path no source sets.</returns>
    public static Func<string, string?>? Of(IConfiguration? section, string? path, IConfiguration? host)
    {
        var root = section as IConfigurationRoot ?? (path is { Length: > 0 } && host is IConfigurationRoot hostRoot && section is not null && SameValues(hostRoot.GetSection(path), section) ? hostRoot : null);
        if (root is null || section is null)
        {
            return null;
        }

        var providers = root.Providers.ToList();
        var sources = section.AsEnumerable().Where(static p => p.Value is not null)
            .Select(p => providers.FindLastIndex(provider => provider.TryGet(p.Key, out _))).Where(static i => i >= 0).Distinct().Count();
        if (sources < 2)
        {
            return null;
        }

        return key =>
        {
            var setters = providers.Select(p => (Provider: p, Found: p.TryGet(key, out var value), Value: value)).Where(static s => s.Found).ToList();
            if (setters.Count == 0)
            {
                return null;
            }

            var over = setters.Count > 1 ? $", over '{setters[^2].Value}' in {setters[^2].Provider}" : string.Empty;
            return $"This value is set in {setters[^1].Provider}{over}.";
        };
    }

    // A section of the host's configuration is the one given when it holds the same values at the same path.
    private static bool SameValues(IConfiguration a, IConfiguration b) =>
        a.AsEnumerable(makePathsRelative: true).OrderBy(static p => p.Key, StringComparer.Ordinal)
            .SequenceEqual(b.AsEnumerable(makePathsRelative: true).OrderBy(static p => p.Key, StringComparer.Ordinal));
}

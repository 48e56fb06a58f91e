using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// A section given to <c>services.AddKeepAlive(section)</c> from which no profile was registered: a misspelt path, an empty
/// section or an empty <c>Profiles</c>. Start-up says so (event 3007) unless the section held the health check's
/// thresholds (the call then did its work), and a profile asked for by name that is not registered says what it held.
/// </summary>
/// <param name="Section">The section as given.</param>
/// <param name="HoldsHealth">Whether it held a <c>Health</c> section (thresholds only, the profiles come from code).</param>
internal sealed record EmptyKeepAliveSection(IConfiguration Section, bool HoldsHealth)
{
    private const string RootName = "the configuration given to AddKeepAlive";

    /// <summary>Gets whether start-up warns of it: the call read nothing at all.</summary>
    public bool IsReported => !HoldsHealth;

    /// <summary>The section's path in messages; the configuration given names a root.</summary>
    public string Path => Section is IConfigurationSection s ? s.Path : RootName;

    /// <summary>
    /// Where the finding is and what it is: what the section holds, that no profile came from it, the sections beside it
    /// and the fix, e.g. <c>KeepAlives</c> and <c>no such section ..., so services.AddKeepAlive(section) registered no
    /// profile from it. At its top level the configuration holds KeepAlive, Logging. Did you mean 'KeepAlive'? Fix:
    /// services.AddKeepAlive(configuration.GetSection("KeepAlive"))</c>.
    /// </summary>
    /// <param name="configuration">The host's configuration, to name the sections beside a missing one; <see langword="null"/> when there is none.</param>
    /// <returns>The path, and the finding up to its fix, which the caller completes (the fix ends without a full stop).</returns>
    public (string Path, string Finding) Describe(IConfiguration? configuration)
    {
        const string Consequence = "so services.AddKeepAlive(section) registered no profile from it";
        var profiles = Section.GetChildren().FirstOrDefault(static c => string.Equals(c.Key, "Profiles", StringComparison.OrdinalIgnoreCase));
        if (profiles is not null)
        {
            return (profiles.Path, $"holds no profile, {Consequence}. Fix: add a profile under {profiles.Path}:<name>, e.g. {profiles.Path}:payments:Tcp:IdleTime");
        }

        if (HoldsHealth)
        {
            return (Path, $"holds no Profiles section (only Health), {Consequence}. Fix: add a profile under {Path}:Profiles:<name>, e.g. {Path}:Profiles:payments:Tcp:IdleTime");
        }

        var (beside, meant) = Beside(configuration);
        var fix = meant is not null
            ? $"services.AddKeepAlive(configuration.GetSection(\"{meant}\"))"
            : Section is IConfigurationSection
                ? $"correct the path given to AddKeepAlive, or add a profile under {Path}:Profiles:<name>"
                : "check the file's name and path (an optional file that is not found reads as empty), or add a profile under Profiles:<name>";
        return (Path, $"{ConfigurationReader.Missing(Section)}, {Consequence}.{beside} Fix: {fix}");
    }

    /// <summary>Each section's finding, as a profile asked for by name and not registered reports them; <see langword="null"/> when there is none.</summary>
    /// <param name="sections">The sections from which no profile was registered.</param>
    /// <param name="configuration">The host's configuration, or <see langword="null"/>.</param>
    public static string? DescribeAll(IEnumerable<EmptyKeepAliveSection> sections, IConfiguration? configuration) =>
        string.Join(" ", sections.Select(s => s.Describe(configuration)).Distinct().Select(static d => $"{d.Path}: {d.Finding}")) is { Length: > 0 } all ? all : null;

    // The keys beside a missing section in the host's configuration, and the section it most likely meant: a key beside it
    // within a typo, or a section of that key holding Profiles at another nesting ("Services:KeepAlive" read as
    // "KeepAlive", or the reverse). Nothing when the section is not the host's (the host holds something at its path).
    private (string Beside, string? Meant) Beside(IConfiguration? configuration)
    {
        if (configuration is null || Section is not IConfigurationSection { Key: var key, Path: var path } || configuration.GetSection(path).GetChildren().Any())
        {
            return (string.Empty, null);
        }

        var parent = ConfigurationPath.GetParentPath(path);
        var keys = (parent is null ? configuration : configuration.GetSection(parent)).GetChildren().Select(static c => c.Key)
            .Where(k => !string.Equals(k, key, StringComparison.OrdinalIgnoreCase)).ToList();
        var beside = keys.Count == 0 ? string.Empty
            : $" {(parent is null ? "At its top level" : $"Under {parent}")} the configuration holds {string.Join(", ", keys)}.{ClosestName.Suggest(key, keys)}";
        if (ClosestName.To(key, keys) is { } meant)
        {
            return (beside, parent is null ? meant : ConfigurationPath.Combine(parent, meant));
        }

        var elsewhere = configuration.AsEnumerable().Select(p => HoldingProfiles(p.Key, key)).FirstOrDefault(static p => p is not null);
        return elsewhere is null ? (beside, null) : ($"{beside} A {key} section with profiles is at {elsewhere}.", elsewhere);
    }

    // The path up to a segment `key` followed by Profiles in a configuration key, e.g. Services:KeepAlive for
    // Services:KeepAlive:Profiles:payments:Tcp:IdleTime; null when there is none.
    private static string? HoldingProfiles(string configurationKey, string key)
    {
        var segments = configurationKey.Split(ConfigurationPath.KeyDelimiter);
        var at = Array.FindIndex(segments, s => string.Equals(s, key, StringComparison.OrdinalIgnoreCase));
        return at >= 0 && at < segments.Length - 1 && string.Equals(segments[at + 1], "Profiles", StringComparison.OrdinalIgnoreCase)
            ? string.Join(ConfigurationPath.KeyDelimiter, segments[..(at + 1)])
            : null;
    }
}

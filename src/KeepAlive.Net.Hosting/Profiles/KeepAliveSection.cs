using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// A section given to <c>services.AddKeepAlive(section)</c>: its <c>Health</c> section, and the one wording of a key it may
/// not hold (any but <c>Profiles</c> and <c>Health</c>): start-up refuses the key with it, a reload that adds one says it (event 3009).
/// </summary>
/// <param name="Section">The section as given.</param>
internal sealed record KeepAliveSection(IConfiguration Section)
{
    /// <summary>The key of the health check's thresholds.</summary>
    public const string HealthKey = "Health";

    /// <summary>The keys a <c>KeepAlive</c> section may hold.</summary>
    public static readonly IReadOnlyList<string> Keys = ["Profiles", HealthKey];

    /// <summary>How a refusal names an application's whole configuration given (<see cref="HostConfiguration"/>).</summary>
    private const string GivenWhole = "The configuration given to AddKeepAlive(configuration)";

    /// <summary>Gets the section's path (empty for a configuration's root).</summary>
    public string Path => Section is IConfigurationSection s ? s.Path : string.Empty;

    /// <summary>
    /// Each key the section holds that it may not: its path, what is wrong (ending with a full stop, with the closest known
    /// key) and the fix (without one), e.g. <c>KeepAlive:Profilez</c>, <c>unknown key 'Profilez' in the KeepAlive section.
    /// Did you mean 'Profiles'?</c> and <c>put each profile under KeepAlive:Profiles:&lt;name&gt;, ...</c>.
    /// </summary>
    public IEnumerable<(string Path, string Finding, string Fix)> UnknownKeys()
    {
        // The file may be right and the call wrong: the whole configuration passed (it holds KeepAlive), or the Profiles
        // section itself (its parent is the KeepAlive section); the fix then names the section to pass.
        var meant = Section.GetChildren().FirstOrDefault(static c => string.Equals(c.Key, "KeepAlive", StringComparison.OrdinalIgnoreCase))?.Path
            ?? (Section is IConfigurationSection { Key: var key, Path: var path } && string.Equals(key, "Profiles", StringComparison.OrdinalIgnoreCase)
                ? ConfigurationPath.GetParentPath(path) : null);
        if (HostConfiguration.Finding(Section, "the KeepAlive section", Keys) is { } host)
        {
            // AddKeepAlive(builder.Configuration): one refusal, not "unknown key 'environment'" and one per environment variable.
            yield return (GivenWhole, $"{host}.", meant is { Length: > 0 } ? $"services.AddKeepAlive(configuration.GetSection(\"{meant}\"))"
                : "put every profile under KeepAlive:Profiles:<name> and call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")), or give it a configuration of the KeepAlive section's file alone, e.g. services.AddKeepAlive(new ConfigurationBuilder().AddJsonFile(\"keepalive.json\").Build())");
            yield break;
        }

        foreach (var child in Section.GetChildren().Where(static c => !Keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            var unknown = $"unknown key '{child.Key}' in the KeepAlive section";
            yield return meant is { Length: > 0 }
                ? (child.Path, $"{unknown}: the section given to AddKeepAlive is not the KeepAlive section, which is {meant}.", $"services.AddKeepAlive(configuration.GetSection(\"{meant}\"))")
                : (child.Path, $"{unknown}.{ClosestName.Suggest(child.Key, Keys)}", $"put each profile under {PathOf("Profiles")}:<name>, e.g. {PathOf("Profiles")}:payments:Tcp:IdleTime, and the health check's thresholds under {PathOf("Health")}");
        }
    }

    /// <summary>Gets the health check's thresholds the section holds (<c>KeepAlive:Health</c>), if any.</summary>
    public IConfigurationSection? Health =>
        Section.GetChildren().FirstOrDefault(static c => string.Equals(c.Key, HealthKey, StringComparison.OrdinalIgnoreCase));

    private string PathOf(string child) => Path.Length > 0 ? $"{Path}:{child}" : child;
}

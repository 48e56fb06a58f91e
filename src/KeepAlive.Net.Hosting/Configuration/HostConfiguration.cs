using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// The host's whole configuration given where a keep-alive one belongs (<c>AddKeepAlive("payments", builder.Configuration)</c>,
/// <c>AddKeepAlive(builder.Configuration)</c>): <c>Host.CreateApplicationBuilder</c> and <c>WebApplication.CreateBuilder</c> put
/// the host's own settings (<see cref="HostDefaults.EnvironmentKey"/>, <see cref="HostDefaults.ContentRootKey"/>,
/// <see cref="HostDefaults.ApplicationKey"/>) at its root, and with their defaults every environment variable. Refused key by
/// key, each would be "unknown key 'environment'. Fix: remove it", which no one can do, once per environment variable.
/// </summary>
internal static class HostConfiguration
{
    private static readonly string[] Settings = [HostDefaults.ApplicationKey, HostDefaults.ContentRootKey, HostDefaults.EnvironmentKey];

    /// <summary>
    /// What is wrong when <paramref name="given"/> is the root of a configuration that holds the host's own settings (without
    /// a full stop), e.g. <c>is the host's whole configuration, not a profile's section: it holds the host's own settings
    /// (contentRoot, environment) and 57 other keys such as HOME, PATH, which are not yours to remove</c>; <see langword="null"/>
    /// for a section, or a root without them.
    /// </summary>
    /// <param name="given">The configuration given to <c>AddKeepAlive</c>.</param>
    /// <param name="meant">What belongs there, e.g. <c>a profile's section</c>.</param>
    /// <param name="known">The keys that belong there, not counted among the others.</param>
    public static string? Finding(IConfiguration given, string meant, IEnumerable<string> known)
    {
        if (given is IConfigurationSection)
        {
            return null;
        }

        var keys = given.GetChildren().Select(static c => c.Key).ToList();
        var held = keys.Where(static k => Settings.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        if (held.Count == 0)
        {
            return null;
        }

        var others = keys.Except(held, StringComparer.OrdinalIgnoreCase).Except(known, StringComparer.OrdinalIgnoreCase).ToList();
        var besides = others.Count switch
        {
            0 => string.Empty,
            1 => $" and {others[0]}",
            <= 3 => $" and {others.Count} other keys, {string.Join(", ", others)}",
            _ => $" and {others.Count} other keys such as {string.Join(", ", others.Take(3))}",
        };
        return $"is the host's whole configuration, not {meant}: it holds the host's own settings ({string.Join(", ", held)}){besides}, which are not yours to remove";
    }
}

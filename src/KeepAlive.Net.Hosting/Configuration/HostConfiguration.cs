using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// An application's whole configuration given where a keep-alive one belongs (<c>AddKeepAlive("payments", builder.Configuration)</c>,
/// <c>AddKeepAlive(builder.Configuration)</c>): <c>Host.CreateApplicationBuilder</c> and <c>WebApplication.CreateBuilder</c> put
/// the host's own settings (<see cref="HostDefaults.EnvironmentKey"/>, <see cref="HostDefaults.ContentRootKey"/>,
/// <see cref="HostDefaults.ApplicationKey"/>) at its root, and with their defaults every environment variable; a configuration
/// built with <c>AddEnvironmentVariables()</c> without a prefix holds every environment variable too. Refused key by key, each
/// would be "unknown key 'environment'. Fix: remove it", which no one can do, once per environment variable.
/// </summary>
internal static class HostConfiguration
{
    private static readonly string[] Settings = [HostDefaults.ApplicationKey, HostDefaults.ContentRootKey, HostDefaults.EnvironmentKey];

    /// <summary>
    /// What is wrong when <paramref name="given"/> is the root of an application's whole configuration (without a full stop),
    /// e.g. <c>is the host's whole configuration, not a profile's section: it holds the host's own settings (contentRoot,
    /// environment) and 57 other keys such as HOME, PATH, which are not yours to remove</c>; <see langword="null"/> for a
    /// section, or a root that is not one. The host's is told by <c>contentRoot</c>, which every host sets (an
    /// <c>environment</c> or <c>applicationName</c> key alone may well be the file's own); one with every environment
    /// variable by keys at its root that name a variable of the process and hold its value (a prefixed source, <c>AddEnvironmentVariables("KEEPALIVE_")</c>, gives keys without the prefix, which name none).
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
        var variables = keys.Where(k => Environment.GetEnvironmentVariable(k) is { } value && value == given[k]).Order(StringComparer.Ordinal).ToList();
        var (whole, holds, told) = held.Contains(HostDefaults.ContentRootKey, StringComparer.OrdinalIgnoreCase)
            ? ("the host's whole configuration", $"the host's own settings ({string.Join(", ", held)})", held)
            : variables.Count > 0 ? ("a whole configuration", $"the process's environment variables ({Some(variables)})", variables) : default;
        if (whole is null)
        {
            return null;
        }

        var others = keys.Except(told, StringComparer.OrdinalIgnoreCase).Except(known, StringComparer.OrdinalIgnoreCase).ToList();
        var besides = others.Count switch
        {
            0 => string.Empty,
            1 => $" and {others[0]}",
            <= 3 => $" and {others.Count} other keys, {string.Join(", ", others)}",
            _ => $" and {others.Count} other keys such as {string.Join(", ", others.Take(3))}",
        };
        return $"is {whole}, not {meant}: it holds {holds}{besides}, which are not yours to remove";
    }

    // A few of many keys: "HOME, PATH, USER and 54 others".
    private static string Some(List<string> keys) =>
        keys.Count <= 3 ? string.Join(", ", keys) : $"{string.Join(", ", keys.Take(3))} and {keys.Count - 3} others";
}

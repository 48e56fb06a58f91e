using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Binds a profile from configuration with <see cref="BinderOptions.ErrorOnUnknownConfiguration"/>, turning a
/// binding error into an <see cref="OptionsValidationException"/> that names the full path of the key and the fix.
/// Uses the configuration binding source generator, so it is trimming- and AOT-safe.
/// </summary>
internal static class KeepAliveProfileBinder
{
    private const string TcpSection = nameof(KeepAliveProfileOptions.Tcp);

    private static readonly string[] ProfileKeys = [TcpSection];

    private static readonly string[] TcpKeys =
    [
        nameof(TcpKeepAliveOptions.Enabled),
        nameof(TcpKeepAliveOptions.IdleTime),
        nameof(TcpKeepAliveOptions.Interval),
        nameof(TcpKeepAliveOptions.ProbeCount),
        nameof(TcpKeepAliveOptions.UserTimeout),
    ];

    public static void Bind(string name, IConfiguration section, KeepAliveProfileOptions options)
    {
        var where = KeepAliveProfileRegistration.Describe((section as IConfigurationSection)?.Path, name);
        var failures = new List<string>();
        CheckKeys(section, where, ProfileKeys, failures);
        CheckKeys(section.GetSection(TcpSection), $"{where}:{TcpSection}", TcpKeys, failures);
        if (failures.Count == 0)
        {
            try
            {
                section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException ex)
            {
                failures.Add($"{where}: {ex.Message} Fix: write times as \"hh:mm:ss\" (e.g. \"00:00:30\"), ProbeCount as a whole number and Enabled as true or false; see docs/CONFIGURATION.md.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(KeepAliveProfileOptions), failures);
        }
    }

    private static void CheckKeys(IConfiguration section, string where, string[] allowed, List<string> failures)
    {
        foreach (var child in section.GetChildren())
        {
            if (!allowed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{where}:{child.Key}: unknown key '{child.Key}'. Fix: remove it or use one of the known keys of {where}: {string.Join(", ", allowed)}; see docs/CONFIGURATION.md.");
            }
        }
    }
}

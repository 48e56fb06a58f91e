using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Binds a profile from configuration with <see cref="BinderOptions.ErrorOnUnknownConfiguration"/>, turning a
/// binding error into an <see cref="OptionsValidationException"/> that names the path and the fix.
/// Uses the configuration binding source generator, so it is trimming- and AOT-safe.
/// </summary>
internal static class KeepAliveProfileBinder
{
    public static void Bind(string name, IConfiguration section, KeepAliveProfileOptions options)
    {
        try
        {
            section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            var where = KeepAliveProfileRegistration.Describe((section as IConfigurationSection)?.Path, name);
            throw new OptionsValidationException(name, typeof(KeepAliveProfileOptions),
            [
                $"{where}: {ex.Message} Fix: a profile holds a \"Tcp\" section with Enabled (true/false), IdleTime, Interval and UserTimeout "
                + "(times as \"hh:mm:ss\", e.g. \"00:00:30\") and ProbeCount (a whole number); remove or rename any other key. "
                + "See docs/CONFIGURATION.md.",
            ]);
        }
    }
}

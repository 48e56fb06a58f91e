using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// Checks at start-up that a profile a client library uses suits it (<see cref="KeepAliveClientRules"/>), with the same
/// messages as every other profile rule: the configuration path of the setting, its value and the fix.
/// </summary>
internal sealed class KeepAliveClientValidator(string profileName, KeepAliveClientDescription client, IEnumerable<KeepAliveProfileRegistration> registrations)
    : IValidateOptions<KeepAliveProfileOptions>
{
    private readonly Dictionary<string, KeepAliveProfileRegistration> _registrations = KeepAliveProfileRegistration.Index(registrations);

    public ValidateOptionsResult Validate(string? name, KeepAliveProfileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(name, profileName, StringComparison.OrdinalIgnoreCase) || !_registrations.TryGetValue(profileName, out var registration))
        {
            return ValidateOptionsResult.Skip; // another profile, or one not registered (the profile validator names the registered ones)
        }

        var failures = KeepAliveClientRules.Validate(options, client)
            .Select(e => $"{registration.Describe(e.OptionName)}: {e.Message}")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

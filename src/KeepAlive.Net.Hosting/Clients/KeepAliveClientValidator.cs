using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// Checks at start-up and at each reload that a profile a client uses suits it (a client library's
/// <see cref="KeepAliveClientRules"/>, an HttpClient's pool's <see cref="HttpProfileRules.IdlePooledConnectionUnkept(KeepAliveProfileOptions)"/>), with
/// the same messages as every other profile rule: the configuration path of the setting, its value and the fix.
/// </summary>
/// <param name="profileName">The profile the client uses.</param>
/// <param name="rules">The client's rules, each error named relative to the profile, e.g. <c>Heartbeat:Interval</c>.</param>
/// <param name="registrations">The registered profiles.</param>
internal sealed class KeepAliveClientValidator(string profileName, Func<KeepAliveProfileOptions, IEnumerable<KeepAliveValidationError>> rules, IEnumerable<KeepAliveProfileRegistration> registrations)
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

        var failures = rules(options)
            .Select(e => $"{registration.Describe(e.OptionName)}: {e.Message}")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

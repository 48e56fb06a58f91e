using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// Validates every profile at start-up: generated data-annotation rules, the platform's limits
/// (<see cref="TcpKeepAliveValidator"/>) and the cross-field rules. Each failure names the configuration
/// path of the setting, its value and the fix.
/// </summary>
internal sealed class KeepAliveProfileOptionsValidator : IValidateOptions<KeepAliveProfileOptions>
{
    private readonly Dictionary<string, KeepAliveProfileRegistration> _registrations;
    private readonly KeepAliveCapabilities _capabilities;

    public KeepAliveProfileOptionsValidator(IEnumerable<KeepAliveProfileRegistration> registrations)
        : this(registrations, KeepAliveCapabilities.Current)
    {
    }

    internal KeepAliveProfileOptionsValidator(IEnumerable<KeepAliveProfileRegistration> registrations, KeepAliveCapabilities capabilities)
    {
        _registrations = KeepAliveProfileRegistration.Index(registrations);
        _capabilities = capabilities;
    }

    public ValidateOptionsResult Validate(string? name, KeepAliveProfileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        name ??= Options.DefaultName;
        if (!_registrations.TryGetValue(name, out var registration))
        {
            return ValidateOptionsResult.Fail(KeepAliveProfileRegistration.NotRegisteredMessage(name, _registrations.Values.Select(static r => r.Name)));
        }

        var failures = new List<string>();
        var annotations = new KeepAliveProfileAnnotationsValidator().Validate(name, options);
        if (annotations.Failed)
        {
            failures.AddRange(annotations.Failures.Select(f => $"{registration.Source}: {f}"));
        }

        if (options.Tcp is { } tcp)
        {
            failures.AddRange(TcpKeepAliveValidator.Validate(tcp, _capabilities)
                .Select(e => $"{registration.Describe("Tcp:" + e.OptionName)}: {e.Message}"));
        }

        if (options.Heartbeat is { } heartbeat)
        {
            failures.AddRange(HeartbeatOptionsValidator.Validate(heartbeat)
                .Select(e => $"{registration.Describe("Heartbeat:" + e.OptionName)}: {e.Message}"));
        }

        failures.AddRange(HttpProfileRules.Validate(options)
            .Select(e => $"{registration.Describe(e.OptionName)}: {e.Message}"));

        if (failures.Count == 0 && KeepAliveProfileRules.CheckTcpAgainstPeerIdleTimeout(options) is { } crossField)
        {
            failures.Add($"{registration.Describe("Tcp:IdleTime")}: {crossField}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>Validates the health check's thresholds at start-up; each failure names the setting, its value and the fix.</summary>
internal sealed class KeepAliveHealthCheckOptionsValidator(IEnumerable<IKeepAliveProfiles> profiles, IEnumerable<HealthCheckSection> sections) : IValidateOptions<KeepAliveHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, KeepAliveHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = sections.LastOrDefault();
        var failures = new List<string>(section?.Failures ?? []);

        // Values that came from configuration are named by their path, values set in code by the option.
        var prefix = section is null ? nameof(KeepAliveHealthCheckOptions) + "." : section.Path + ":";
        var window = HealthCheckSection.WindowLimits;
        if (options.Window < window.Min || options.Window > window.Max)
        {
            failures.Add($"{prefix}{nameof(options.Window)}: {KeepAliveDuration.Format(options.Window)} is outside {KeepAliveDuration.Format(window.Min)}..{KeepAliveDuration.Format(window.Max)}. Fix: look back over a few heartbeat intervals, for example \"1m\" (the default).");
        }

        if (!(options.DegradedBudgetFraction > 0 && options.DegradedBudgetFraction <= 1))
        {
            failures.Add($"{prefix}{nameof(options.DegradedBudgetFraction)}: {options.DegradedBudgetFraction} is not in (0, 1]: it is the part of the idle budget a late heartbeat may eat. Fix: keep the default 0.5, or use 0.25 for an earlier warning.");
        }

        if (options.UnhealthyPeerDeadCount < 1)
        {
            failures.Add($"{prefix}{nameof(options.UnhealthyPeerDeadCount)}: {options.UnhealthyPeerDeadCount} is less than 1, so the check would be unhealthy with no dead peer at all. Fix: set at least 1, for example 3 (the default).");
        }

        if (!profiles.Any())
        {
            failures.Add("services.AddHealthChecks().AddKeepAlive() has no keep-alive profile to judge. Fix: register the profiles it should watch with services.AddKeepAlive(\"name\", configuration.GetSection(\"KeepAlive:Profiles:name\")).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

using KeepAlive.Net.Hosting.Configuration;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// Validates the health check's thresholds at start-up, every failure at once: what the configuration reader refused,
/// then each value set in code against its range. Each failure names the setting, its value and the fix.
/// </summary>
internal sealed class KeepAliveHealthCheckOptionsValidator(IEnumerable<IKeepAliveProfiles> profiles, IEnumerable<SectionBinding<KeepAliveHealthCheckOptions>> bindings, IEnumerable<KeepAliveHealthSection> sections, IEnumerable<KeepAliveHealthCheckRegistration> checks) : IValidateOptions<KeepAliveHealthCheckOptions>
{
    /// <summary>The path of the thresholds in messages when they come from configuration.</summary>
    public const string DefaultPath = "KeepAlive:Health";

    /// <summary>Validates the thresholds named <paramref name="optionsName"/> when the host starts, with this validator.</summary>
    public static OptionsBuilder<KeepAliveHealthCheckOptions> ValidateOnStart(IServiceCollection services, string optionsName)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeepAliveHealthCheckOptions>, KeepAliveHealthCheckOptionsValidator>());
        return services.AddOptions<KeepAliveHealthCheckOptions>(optionsName).ValidateOnStart();
    }

    public ValidateOptionsResult Validate(string? name, KeepAliveHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Values from configuration are named by their path, values set in code by the option.
        var binding = bindings.LastOrDefault(b => string.Equals(b.Name, name ?? Options.DefaultName, StringComparison.Ordinal));
        var report = new ValidationReport(binding?.FailuresOf(options) ?? []);
        var prefix = binding is not null
            ? binding.Path + ":"
            : string.IsNullOrEmpty(name)
                ? nameof(KeepAliveHealthCheckOptions) + "."
                : $"health check '{name}': {nameof(KeepAliveHealthCheckOptions)}.";
        foreach (var error in OptionsSchema.For<KeepAliveHealthCheckOptions>().CheckRanges(options))
        {
            report.Add(prefix + error.OptionName, error.Message);
        }

        // What concerns every check (no profile, shared heartbeat names, thresholds no check reads) is said once, by the first
        // check's validation: each check's thresholds are validated on their own, and the host would stop saying it once per
        // check. With no check added, validated only because the KeepAlive section holds Health (AddKeepAlive asks for it).
        var first = checks.FirstOrDefault();
        if (string.Equals(name ?? Options.DefaultName, first?.OptionsName ?? Options.DefaultName, StringComparison.Ordinal))
        {
            AddFindingsAboutEveryCheck(report, checkAdded: first is not null);
        }

        return report.Messages.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(report.Messages);
    }

    private void AddFindingsAboutEveryCheck(ValidationReport report, bool checkAdded)
    {
        // The profiles' service alone is no profile: AddKeepAlive(section) registers it when the section lists none.
        if (checkAdded && !profiles.Any(static p => p.Names.Count > 0))
        {
            report.AddGeneral("services.AddHealthChecks().AddKeepAlive() has no keep-alive profile to judge. Fix: register the profiles it should watch with services.AddKeepAlive(\"name\", configuration.GetSection(\"KeepAlive:Profiles:name\")), or list them under KeepAlive:Profiles and call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")).");
        }

        if (checkAdded)
        {
            foreach (var shared in SharedHeartbeatNames(profiles))
            {
                report.AddGeneral(shared);
            }
        }

        // Thresholds written beside the profiles (KeepAlive:Health) that no registration reads would be silently ignored.
        foreach (var section in sections.DistinctBy(static s => s.Path, StringComparer.OrdinalIgnoreCase))
        {
            if (Unread(section.Path, bindings, checks) is var (unread, fix))
            {
                report.AddGeneral($"{section.Path}: holds the health check's thresholds, but {unread}, so they would be silently ignored. Fix: {fix}, or remove {section.Path}.");
            }
        }
    }

    /// <summary>
    /// Why no keep-alive health check reads the thresholds at <paramref name="path"/>, and the fix that has one read them
    /// (a verb first, without a full stop), or <see langword="null"/> when one does: start-up refuses such a section beside
    /// the profiles, and a reload that adds one says so (event 3010). Every call that works is named: each check added can
    /// read the section under its own name, its call replaced by the section overload given that name (a second call beside
    /// it would add a second check of that name), and, with no check named <c>keepalive</c>, the section overload without a
    /// name adds that one beside the others.
    /// </summary>
    /// <param name="path">The section's path, e.g. <c>KeepAlive:Health</c>.</param>
    /// <param name="bindings">The sections the registered checks read their thresholds from.</param>
    /// <param name="checks">The registered checks.</param>
    internal static (string Unread, string Fix)? Unread(string path, IEnumerable<SectionBinding<KeepAliveHealthCheckOptions>> bindings, IEnumerable<KeepAliveHealthCheckRegistration> checks)
    {
        var given = bindings.Select(static b => b.Path).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (given.Contains(path, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var reading = SectionCall(path, KeepAliveHealthChecksBuilderExtensions.DefaultName);
        if (!checks.Any())
        {
            return ("no keep-alive health check is added (services.AddHealthChecks().AddKeepAlive(...) is never called)", $"call {reading}");
        }

        var unread = given.Count == 0
            ? "no keep-alive health check reads it (services.AddHealthChecks().AddKeepAlive() was called without a section)"
            : $"no keep-alive health check reads it (services.AddHealthChecks().AddKeepAlive(...) was given {string.Join(", ", given)})";

        // Each check, the one named keepalive first, by the call that adds it now: the section it reads (its own binding), or none.
        var replacements = checks.DistinctBy(static c => c.OptionsName, StringComparer.Ordinal).OrderBy(static c => c.OptionsName != Options.DefaultName).Select(c =>
        {
            var own = bindings.LastOrDefault(b => string.Equals(b.Name, c.OptionsName, StringComparison.Ordinal))?.Path;
            var existing = own is not null
                ? $"from {own} ({SectionCall(own, c.Name)})"
                : c.OptionsName == Options.DefaultName
                    ? "without a section (services.AddHealthChecks().AddKeepAlive() or .AddKeepAlive(o => ...))"
                    : $"without a section (services.AddHealthChecks().AddKeepAlive(o => ...{NameArgument(c.Name)}))";
            return $"the call that adds the check named '{c.Name}' {existing} with {SectionCall(path, c.Name)}";
        });
        var replace = $"replace {string.Join(", or ", replacements)} (not a second call beside it: that adds a second check of that name)";
        return checks.Any(static c => c.OptionsName == Options.DefaultName)
            ? (unread, replace)
            : (unread, $"call {reading}, which adds the check named '{KeepAliveHealthChecksBuilderExtensions.DefaultName}' to read them, or {replace}");
    }

    // The call that adds the check named name reading the section at path, as the user writes it (no name: keepalive's).
    private static string SectionCall(string path, string name) => $"services.AddHealthChecks().AddKeepAlive(configuration.GetSection(\"{path}\"){NameArgument(name)})";

    private static string NameArgument(string name) =>
        string.Equals(name, KeepAliveHealthChecksBuilderExtensions.DefaultName, StringComparison.Ordinal) ? string.Empty : $", name: \"{name}\"";

    // Profiles whose heartbeats report under one name (the check reads a profile's telemetry by it, ignoring case): the check
    // would judge each by the other's lateness and dead peers. An invalid profile is left to its own validation.
    // The setting to change is named by the path its profile is bound from, as every other start-up message names it.
    private static IEnumerable<string> SharedHeartbeatNames(IEnumerable<IKeepAliveProfiles> profiles) =>
        profiles.Distinct().SelectMany(static registered => KeepAliveTelemetryListener.HeartbeatNames(registered)
                .Select(p => (p.Profile, p.Heartbeat, Setting: KeepAliveProfiles.Describe(registered, p.Profile, "Heartbeat:Name"))))
            .Where(static p => p.Heartbeat is not null)
            .GroupBy(static p => p.Heartbeat!, StringComparer.OrdinalIgnoreCase)
            .Where(static g => g.Count() > 1)
            .Select(static g => SharedHeartbeatName([.. g.Select(static p => p.Profile)], g.Key, g.Last().Setting));

    /// <summary>
    /// The one wording of "these profiles report under one heartbeat name": at start-up (this validator) and at a reload that
    /// makes a profile share another's (<see cref="Profiles.KeepAliveProfiles"/>, which refuses it).
    /// </summary>
    /// <param name="profiles">The profiles sharing the name.</param>
    /// <param name="name">The heartbeat name they share.</param>
    /// <param name="setting">The setting to change, as a path.</param>
    internal static string SharedHeartbeatName(IReadOnlyList<string> profiles, string name, string setting) =>
        $"Profiles {string.Join(" and ", profiles.Select(static p => $"'{p}'"))} report their heartbeats under one name, '{name}' (Heartbeat:Name, by default the profile's name), so the keep-alive health check cannot tell them apart and would judge each by the others' lateness and dead peers. "
        + $"Fix: give each profile its own Heartbeat:Name ({setting}), or remove it so that each reports under its profile's name.";
}

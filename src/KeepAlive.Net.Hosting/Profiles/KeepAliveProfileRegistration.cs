using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>Records that a profile was registered, and where its values come from, for validation messages.</summary>
/// <param name="Name">The profile's name.</param>
/// <param name="ConfigurationPath">The configuration path the profile binds from (empty for the root of a configuration), or <see langword="null"/> when configured in code.</param>
/// <param name="Section">The configuration section the profile binds from, watched for reloads; <see langword="null"/> when configured in code.</param>
/// <param name="ListedIn">The <c>Profiles</c> section the profile was found in (<c>AddKeepAlive(keepAliveSection)</c>), or <see langword="null"/> when its section was named by its path.</param>
internal sealed record KeepAliveProfileRegistration(string Name, string? ConfigurationPath, IConfiguration? Section = null, IConfiguration? ListedIn = null)
{
    /// <summary>
    /// Gets whether the profile's section is still in the configuration: listed among the profiles, where an empty
    /// <c>{ }</c> is a profile with the defaults; or, named by its path, holding something (configuration cannot tell an
    /// empty section from a missing one).
    /// </summary>
    public bool SectionExists => ListedIn is not null && Section is IConfigurationSection { Key: var key }
        ? ListedIn.GetChildren().Any(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase))
        : Section?.GetChildren().Any() == true;

    /// <summary>Gets where the profile comes from, e.g. <c>KeepAlive:Profiles:payments</c> (<see cref="ProfileSource.Of"/>).</summary>
    public string Source => ProfileSource.Of(ConfigurationPath, Name);

    /// <summary>Names one setting of this profile in messages, e.g. <c>KeepAlive:Profiles:payments:Tcp:IdleTime</c> (<see cref="ProfileSource.Setting"/>).</summary>
    public string Describe(string setting) => ProfileSource.Setting(ConfigurationPath, Name, setting);

    /// <summary>Indexes registrations by case-insensitive name; the first one with a configuration path describes the profile.</summary>
    public static Dictionary<string, KeepAliveProfileRegistration> Index(IEnumerable<KeepAliveProfileRegistration> registrations)
    {
        var index = new Dictionary<string, KeepAliveProfileRegistration>(StringComparer.OrdinalIgnoreCase);
        foreach (var registration in registrations)
        {
            if (!index.TryGetValue(registration.Name, out var existing))
            {
                index[registration.Name] = registration;
            }
            else if (existing.ConfigurationPath is null && registration.ConfigurationPath is not null)
            {
                index[registration.Name] = existing with { ConfigurationPath = registration.ConfigurationPath, Section = registration.Section, ListedIn = registration.ListedIn };
            }
        }

        return index;
    }

    /// <summary>
    /// The spelling under which a profile of that name (any case) was first registered in <paramref name="services"/>, or
    /// <paramref name="name"/>: profile names are case-insensitive, like configuration keys, but named options match names
    /// exactly, so what registers a profile's options (its binding, its code, a client's start-up check) uses that spelling.
    /// </summary>
    /// <param name="services">The services registered so far.</param>
    /// <param name="name">The name as the caller wrote it.</param>
    public static string Spelling(IServiceCollection services, string name) =>
        services.Where(static d => !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<KeepAliveProfileRegistration>()
            .FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))?.Name ?? name;

    /// <summary>
    /// Checks the profile when the host starts, once whatever the case of its name: what registers the profile and every
    /// client that takes it ask for the check, and named options match names exactly, so "payments" and a client's
    /// "Payments" ran it twice and said each failure twice. The first spelling asked for is checked.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The profile's name as the caller wrote it.</param>
    public static void ValidateOnStart(IServiceCollection services, string name)
    {
        if (!services.Where(static d => !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<StartupCheck>()
            .Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            services.AddSingleton(new StartupCheck(name));
            services.AddOptionsWithValidateOnStart<KeepAliveProfileOptions>(name);
        }
    }

    private sealed record StartupCheck(string Name);

    /// <summary>The fix for an empty or blank profile name, shared by registration and lookup.</summary>
    public const string EmptyNameFix = "Fix: pass the profile's name, e.g. \"payments\", or use the overload without a name for the default profile (KeepAliveProfileOptions.DefaultProfileName).";

    /// <summary>Says that a profile a reload listed (at <paramref name="path"/>) is not registered, and why.</summary>
    /// <param name="path">Its section, e.g. <c>KeepAlive:Profiles:orders</c>.</param>
    public static string AddedAfterStartUp(string path) =>
        $"{path} was added to the configuration after start-up, and the set of profiles is read once, when services.AddKeepAlive(section) runs (a reload changes their values, it adds none)";

    /// <summary>
    /// What event 3008 says of a profile section a reload listed and no profile binds from, up to its fix: the profile is not
    /// registered, or it is (<paramref name="registered"/>: in code, or from other sections) without that section, which is
    /// then not applied before a restart; a restart binds it as start-up does, the code's values set over every section.
    /// </summary>
    /// <param name="section">The section, e.g. <c>KeepAlive:Profiles:orders</c>.</param>
    /// <param name="registered">The profile of that name, or <see langword="null"/> when none is registered.</param>
    /// <returns>The finding (after "KeepAlive profile 'orders' ") and the fix, each without a full stop.</returns>
    public static (string Finding, string Fix) AddedAfterStartUp(IConfigurationSection section, KeepAliveProfileRegistration? registered)
    {
        var path = section.Path;
        if (registered is null)
        {
            // A profile named by a number (Profiles saved as an array) would stop the host that a restart builds.
            return ProfileSections.Numbered(section, path) is { } numbered
                ? ($"is not registered, and a restart would refuse it: {path} {numbered.Finding}", $"{numbered.Fix}, then restart the service")
                : ($"is not registered: {AddedAfterStartUp(path)}. Nothing uses it until the service restarts", "restart the service to register it");
        }

        var (bound, restart, kept) = registered.Section is null
            ? ("is configured in code only, so its values stay the code's", "binds the section with the code's values set over them (the code wins for each value it sets)", "the code's values")
            : ($"binds from {registered.Source} only, so its values stay that section's", "binds both sections (the one registered later wins for each key both set) with any values set in code over them", $"the values of {registered.Source}");
        return ($"does not take the values of its section {path}: {path} was added to the configuration after start-up, and the sections a profile binds from are read once, when services.AddKeepAlive(section) runs. The profile {bound} until the service restarts, which {restart}, as start-up does",
            $"restart the service to apply {path}, or remove the section to keep {kept}");
    }

    /// <summary>The <c>Profiles</c> section the first of <paramref name="registrations"/> listed in one was found in (e.g. <c>KeepAlive:Profiles</c>), where a missing profile is added; <see langword="null"/> when none was.</summary>
    public static string? ProfilesPath(IEnumerable<KeepAliveProfileRegistration> registrations) =>
        registrations.Select(static r => (r.ListedIn as IConfigurationSection)?.Path).FirstOrDefault(static p => p is not null);

    /// <summary>Says that no profile of that name is registered, with the registered ones, the closest name and the fix.</summary>
    /// <param name="profileName">The name asked for.</param>
    /// <param name="registered">The registered names.</param>
    /// <param name="addedAfterStartUp">The path of a section listing it that a reload added, or <see langword="null"/>.</param>
    /// <param name="emptySections">What the sections given to <c>AddKeepAlive(section)</c> that registered no profile hold, and their fix (<see cref="EmptyKeepAliveSection.DescribeAll"/>), or <see langword="null"/>.</param>
    /// <param name="usedBy">What was registered to use the profile, e.g. <c>HttpClient 'payments'</c>, or <see langword="null"/> when not known.</param>
    /// <param name="profilesPath">The <c>Profiles</c> section the registered profiles were listed in, e.g. <c>KeepAlive:Profiles</c>, where the fix adds the profile; <see langword="null"/> when none was given.</param>
    public static string NotRegisteredMessage(string profileName, IEnumerable<string> registered, string? addedAfterStartUp = null, string? emptySections = null, IReadOnlyCollection<string>? usedBy = null, string? profilesPath = null)
    {
        var known = registered.ToList();
        var names = string.Join(", ", known.Select(static n => $"'{n}'"));
        if (string.IsNullOrWhiteSpace(profileName))
        {
            return $"The KeepAlive profile name is empty (registered: {(names.Length == 0 ? "none" : names)}). "
                + $"{EmptyNameFix}";
        }

        // Who asked for the profile, so that the message says which registration to fix, and the registered names to give it.
        var (users, rename) = usedBy is { Count: > 0 }
            ? ($", but {string.Join(" and ", usedBy)} {(usedBy.Count == 1 ? "uses" : "use")} it", $"give {(usedBy.Count == 1 ? usedBy.First() : "them")} a registered profile{(known.Count == 0 ? string.Empty : $" ({names})")}")
            : (string.Empty, "use a registered profile name");
        var notRegistered = $"No KeepAlive profile named '{profileName}' is registered (registered: {(names.Length == 0 ? "none" : names)}){users}";
        if (addedAfterStartUp is not null)
        {
            return $"{notRegistered}: {AddedAfterStartUp(addedAfterStartUp)}. "
                + $"Fix: restart the service to register it, or {rename}.";
        }

        if (emptySections is not null)
        {
            // The file may well hold the profile: the section read is the one to fix.
            return $"{notRegistered}.{ClosestName.Suggest(profileName, known)} "
                + $"{emptySections}, or call services.AddKeepAlive(\"{profileName}\", ...), or {rename}.";
        }

        var section = profilesPath is null
            ? $"under KeepAlive:Profiles and call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\"))"
            : $"at {profilesPath}:{profileName}";
        return $"{notRegistered}.{ClosestName.Suggest(profileName, known)} "
            + $"Fix: add a \"{profileName}\" section {section}, "
            + $"or call services.AddKeepAlive(\"{profileName}\", ...), or {rename}.";
    }
}

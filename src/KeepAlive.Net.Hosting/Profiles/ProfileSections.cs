using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The sections of a profile, declared once: the configuration reader reads them, the validator validates them, in this
/// order. A section's keys are its options type's properties (<see cref="OptionsSchema"/>), so a new key is a new
/// property; a new section is a new <see cref="KeepAliveProfileOptions"/> property and one line here.
/// </summary>
internal static class ProfileSections
{
    public static readonly IReadOnlyList<ProfileSection> All =
    [
        ProfileSection.Of(nameof(KeepAliveProfileOptions.Tcp), static p => p.Tcp, static (tcp, platform) => TcpKeepAliveValidator.Validate(tcp, platform)),
        ProfileSection.Of(nameof(KeepAliveProfileOptions.Heartbeat), static p => p.Heartbeat, static (heartbeat, _) => HeartbeatOptionsValidator.Validate(heartbeat).Concat(KeepAliveProfileRules.CheckHeartbeatName(heartbeat))),
        ProfileSection.Of(nameof(KeepAliveProfileOptions.Http), static p => p.Http, static (http, _) => HttpProfileRules.Validate(http)),
        ProfileSection.Of(nameof(KeepAliveProfileOptions.WebSocket), static p => p.WebSocket, static (webSocket, _) => HttpProfileRules.Validate(webSocket)),
        ProfileSection.Of(nameof(KeepAliveProfileOptions.SignalR), static p => p.SignalR, static (signalR, _) => SignalRProfileRules.Validate(signalR)),
    ];

    private static readonly string[] Names = [.. All.Select(static s => s.Name)];

    /// <summary>Reads a profile's section into its options.</summary>
    /// <param name="reader">Collects what is refused.</param>
    /// <param name="profile">The profile's section, e.g. <c>KeepAlive:Profiles:payments</c>.</param>
    /// <param name="registration">The profile's registration: its name, and how messages name it and its settings (the validator's way).</param>
    /// <param name="options">The options to fill; absent keys keep their values.</param>
    public static void Read(ConfigurationReader reader, IConfiguration profile, KeepAliveProfileRegistration registration, KeepAliveProfileOptions options)
    {
        var (path, name, listed) = (registration.Source, registration.Name, registration.ListedIn is not null);
        var keys = profile.GetChildren().Select(static c => c.Key).ToList();
        if (!listed && Around(profile, name, keys) is var (meant, keepAlive))
        {
            // "Unknown key 'Profiles'. Fix: remove it" would delete every profile.
            // A configuration's root names the key around the profile only: the host's holds every environment variable too.
            var every = keepAlive.Length == 0 ? "configuration" : $"configuration.GetSection(\"{keepAlive}\")";
            var holds = profile is IConfigurationSection ? string.Join(", ", keys) : meant.Split(ConfigurationPath.KeyDelimiter)[0];
            reader.Refuse(path, $"is not a profile's section but one around it (it holds {holds}). Fix: services.AddKeepAlive(\"{name}\", configuration.GetSection(\"{meant}\")), or services.AddKeepAlive({every}) for every profile; see docs/CONFIGURATION.md.");
            return;
        }

        if (!listed && HostConfiguration.Finding(profile, "a profile's section", Names) is { } host)
        {
            // AddKeepAlive("payments", builder.Configuration): "unknown key 'environment'. Fix: remove it" cannot be done.
            reader.Refuse(path, $"{host}. Fix: put the profile under KeepAlive:Profiles:{name} and call services.AddKeepAlive(\"{name}\", configuration.GetSection(\"KeepAlive:Profiles:{name}\")), or give it a configuration of its own file, e.g. services.AddKeepAlive(\"{name}\", new ConfigurationBuilder().AddJsonFile(\"{name}.json\").Build()); see docs/CONFIGURATION.md.");
            return;
        }

        if (listed && Unnamed(name, keys) is { } unnamed)
        {
            // "Profiles": { "Tcp": { "IdleTime": "30s" } }: "unknown key 'IdleTime'. Fix: remove it" would lose the value.
            reader.Refuse(path, $"is a profile named '{name}' that {HoldsTheKeysOf([unnamed], keys)}: the profile's name is missing between Profiles and {name}. Fix: put the section under a profile's name, e.g. {Named(path, $"{name}:{keys[0]}")}; see docs/CONFIGURATION.md.");
            return;
        }

        if (listed && Numbered(profile, path) is { } numbered)
        {
            reader.Refuse(path, $"{numbered.Finding}. Fix: {numbered.Fix}; see docs/CONFIGURATION.md.");
            return;
        }

        if (Sectionless(keys) is [var first, ..] sections)
        {
            // "payments": { "IdleTime": "30s" }: one "unknown key 'IdleTime'. Fix: remove it or use one of the known keys: Tcp,
            // Heartbeat, ..." per key would list the known keys once a key, and lose the values. AddKeepAlive("payments",
            // section) given the profile's Tcp section itself: its parent is the profile's.
            var finding = $"{HoldsTheKeysOf(sections, keys)}, not a profile's sections";
            var given = listed ? null : profile as IConfigurationSection;
            reader.Refuse(path, sections.FirstOrDefault(s => string.Equals(s.Name, given?.Key, StringComparison.OrdinalIgnoreCase)) is { } itself
                ? $"{finding}: it is the profile's {itself.Name} section. Fix: services.AddKeepAlive(\"{name}\", configuration.GetSection(\"{ConfigurationPath.GetParentPath(given!.Path)}\")), the section that holds {itself.Name}; see docs/CONFIGURATION.md."
                : $"{finding}: the section's name is missing above them. Fix: put them under {string.Join(" or ", sections.Select(s => registration.Describe(s.Name)))}, e.g. {registration.Describe($"{first.Name}:{keys[0]}")}; see docs/CONFIGURATION.md.");
            return;
        }

        if ((!listed && !reader.Exists(profile, path)) || !reader.Open(profile, path, Names, registration.Describe))
        {
            return;
        }

        foreach (var section in All)
        {
            if (section.Of(options) is { } target)
            {
                reader.Read(profile.GetSection(section.Name), registration.Describe(section.Name), target, section.Schema);
            }
        }
    }

    /// <summary>
    /// What is wrong with a profile listed under <c>Profiles</c> whose name is a number, and the fix (each without a full
    /// stop): <c>"Profiles": [ { "Tcp": { ... } } ]</c> reads as the keys 0, 1, ..., configuration cannot tell an array from
    /// them, and a profile named "0" is one nothing asks for by name; <see langword="null"/> for any other name.
    /// </summary>
    /// <param name="profile">The profile's section.</param>
    /// <param name="path">Its path, e.g. <c>KeepAlive:Profiles:0</c>.</param>
    public static (string Finding, string Fix)? Numbered(IConfiguration profile, string path)
    {
        var name = ConfigurationPath.GetSectionKey(path);
        if (!name.All(char.IsAsciiDigit))
        {
            return null;
        }

        var first = profile.AsEnumerable(makePathsRelative: true).Where(static p => p.Value is not null).Select(static p => p.Key).Order(StringComparer.Ordinal).FirstOrDefault() ?? "Tcp:IdleTime";
        return ($"is a profile named '{name}': Profiles was written as an array (or with numbers for keys, which configuration cannot tell from an array), and a profile's name is the key it is written under",
            $"write Profiles as an object keyed by each profile's name, e.g. {Named(path, first)}");
    }

    // The path of a profile named "payments" beside the profile at `path`, followed by `rest`: the example of the fixes above.
    private static string Named(string path, string rest) => $"{ConfigurationPath.GetParentPath(path)}:payments:{rest}";

    // "holds the keys of a Tcp section (IdleTime, Interval)": each key once, and the sections they may belong to.
    private static string HoldsTheKeysOf(IEnumerable<ProfileSection> sections, IEnumerable<string> keys) =>
        $"holds the keys of a {string.Join(" or ", sections.Select(static s => s.Name))} section ({string.Join(", ", keys)})";

    // The section a profile named after one (Tcp, Heartbeat, ...) holds the keys of, and no section of a profile: a profile
    // section written without the profile's name; null otherwise.
    private static ProfileSection? Unnamed(string name, List<string> keys) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { } section
            && keys.Count > 0 && !keys.Intersect(Names, StringComparer.OrdinalIgnoreCase).Any() && keys.Intersect(section.Schema.Names, StringComparer.OrdinalIgnoreCase).Any()
            ? section
            : null;

    // The sections whose keys a profile's section holds in place of any section's (most of its keys first; Interval is both
    // Tcp's and Heartbeat's): the keys of a section written without the section's name. Empty when it holds a section, or
    // no key of one.
    private static List<ProfileSection> Sectionless(List<string> keys)
    {
        if (keys.Count == 0 || keys.Intersect(Names, StringComparer.OrdinalIgnoreCase).Any())
        {
            return [];
        }

        var held = All.Select(s => (Section: s, Count: keys.Intersect(s.Schema.Names, StringComparer.OrdinalIgnoreCase).Count())).Where(static h => h.Count > 0).ToList();
        return [.. held.Where(h => h.Count == held.Max(static m => m.Count)).Select(static h => h.Section)];
    }

    // The path of the profile's own section, and of the KeepAlive section that holds it (empty for a configuration's root),
    // when `profile` is a KeepAlive section (it holds Profiles), its Profiles section (it holds profiles, no section of one),
    // or a whole configuration that holds KeepAlive; null otherwise.
    private static (string Meant, string KeepAlive)? Around(IConfiguration profile, string name, List<string> children)
    {
        var profiles = children.Find(static k => k.Equals("Profiles", StringComparison.OrdinalIgnoreCase));
        if (profile is not IConfigurationSection { Path: var path, Key: var key })
        {
            return children.Find(static k => k.Equals("KeepAlive", StringComparison.OrdinalIgnoreCase)) is { } keepAlive ? ($"{keepAlive}:Profiles:{name}", keepAlive)
                : profiles is not null ? ($"{profiles}:{name}", string.Empty)
                : null;
        }

        return profiles is not null ? ($"{path}:{profiles}:{name}", path)
            : key.Equals("Profiles", StringComparison.OrdinalIgnoreCase) && children.Count > 0 && !children.Intersect(Names, StringComparer.OrdinalIgnoreCase).Any() ? ($"{path}:{name}", ConfigurationPath.GetParentPath(path) ?? string.Empty)
            : null;
    }
}

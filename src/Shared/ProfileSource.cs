namespace KeepAlive.Net;

/// <summary>
/// How validation messages name a profile and its settings, the one rule: by the profile's configuration path
/// (<c>KeepAlive:Profiles:payments:Tcp:IdleTime</c>), or, without one, by its name and origin (its name alone when the origin
/// is not known), and how a refusal of one setting starts (<see cref="Refusal"/>). Compiled into the Hosting library, whose
/// messages use it, and into the <c>keepalive</c> tool, which renames the flags' profile in those messages, and finds the
/// setting a message names and the refusals it does not show, by the same rule rather than by the message's shape.
/// </summary>
internal static class ProfileSource
{
    /// <summary>Names a profile: its configuration path, or its name when bound from a configuration's root or configured in code.</summary>
    /// <param name="configurationPath">The path it binds from (empty for the root of a configuration), or <see langword="null"/> when configured in code.</param>
    /// <param name="name">The profile's name.</param>
    public static string Of(string? configurationPath, string name) => configurationPath switch
    {
        { Length: > 0 } path => path,
        "" => $"{ByName(name)} (bound from the root of the configuration given to AddKeepAlive)",
        _ => $"{ByName(name)} (configured in code)",
    };

    /// <summary>
    /// Names one setting of a profile whose origin is not known (an <c>IKeepAliveProfiles</c> other than the registered
    /// profiles: a decorator, a test double), by the profile's name alone, e.g. <c>KeepAlive profile 'payments' Tcp:IdleTime</c>:
    /// no path to give, and no origin to claim.
    /// </summary>
    /// <param name="name">The profile's name.</param>
    /// <param name="setting">The setting, e.g. <c>Tcp:IdleTime</c>.</param>
    public static string SettingByName(string name, string setting) => $"{ByName(name)} {setting}";

    /// <summary>Names one setting of a profile, e.g. <c>KeepAlive:Profiles:payments:Tcp:IdleTime</c>.</summary>
    /// <param name="configurationPath">As for <see cref="Of"/>.</param>
    /// <param name="name">The profile's name.</param>
    /// <param name="setting">The setting, e.g. <c>Tcp:IdleTime</c>.</param>
    public static string Setting(string? configurationPath, string name, string setting) => configurationPath is { Length: > 0 } path
        ? $"{path}:{setting}"
        : $"{Of(configurationPath, name)} {setting}";

    /// <summary>
    /// A refusal of one setting, as validation writes it: the setting (<see cref="Setting"/>, or any configuration path),
    /// then what is wrong with it and the fix, e.g. <c>KeepAlive:Profiles:payments:Tcp:IdleTime: '0s' is ... Fix: ...</c>.
    /// </summary>
    /// <param name="setting">The setting, as <see cref="Setting"/> names it.</param>
    /// <param name="message">What is wrong and the fix.</param>
    public static string Refusal(string setting, string message) => RefusalOf(setting) + message;

    /// <summary>How every refusal of <paramref name="setting"/> starts (<see cref="Refusal"/>): what finds the setting a refusal names.</summary>
    /// <param name="setting">The setting, as <see cref="Setting"/> names it.</param>
    public static string RefusalOf(string setting) => $"{setting}: ";

    private static string ByName(string name) => $"KeepAlive profile '{name}'";
}

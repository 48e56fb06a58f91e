using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Configuration;

/// <summary>
/// Reads configuration sections into options objects by their <see cref="OptionsSchema"/>, strictly: unknown keys, a
/// value where a section belongs (<c>"Tcp": "oops"</c>), a section or array where one value belongs
/// (<c>"IdleTime": ["a","b"]</c>) and every value its <see cref="OptionKey"/> refuses become a
/// <see cref="ConfigurationFailure"/> naming the full path, the value as written and the fix. Every failure is collected
/// (none stops the others from being found); a refused or absent key leaves the target's value as it was. A value only
/// outside its range is set, and its failure kept for the options' validator to report if that refuses it too.
/// </summary>
internal sealed class ConfigurationReader
{
    private const string Docs = "see docs/CONFIGURATION.md";
    private readonly List<ConfigurationFailure> _failures = [];

    /// <summary>Gets what was refused so far.</summary>
    public IReadOnlyList<ConfigurationFailure> Failures => _failures;

    /// <summary>Reads every key of <paramref name="schema"/> found in <paramref name="section"/> into <paramref name="target"/>.</summary>
    /// <param name="section">The section.</param>
    /// <param name="path">Its configuration path, the start of every message.</param>
    /// <param name="target">The options object to fill.</param>
    /// <param name="schema">Its keys.</param>
    public void Read(IConfiguration section, string path, object target, OptionsSchema schema)
    {
        if (!Open(section, path, schema.Names))
        {
            return;
        }

        foreach (var key in schema.Keys)
        {
            var keyPath = $"{path}:{key.Name}";
            if (Value(section.GetSection(key.Name), keyPath) is not { } text)
            {
                continue;
            }

            var outcome = key.Read(text, out var value, out var error);
            if (outcome != ReadOutcome.Refused)
            {
                key.SetValue(target, value);
            }

            if (outcome != ReadOutcome.Accepted)
            {
                _failures.Add(new(keyPath, error!) { OnlyIfRefused = outcome == ReadOutcome.OutOfRange });
            }
        }
    }

    /// <summary>
    /// Checks that a section a registration names by its path, or a configuration's root it binds, holds something: a
    /// misspelt path reads as an empty section, and configuration cannot tell it from an empty object; a misspelt optional
    /// file reads as an empty configuration.
    /// </summary>
    /// <param name="section">The section.</param>
    /// <param name="path">Its configuration path.</param>
    /// <param name="consequenceAndFix">What a missing section would do and the fix, when it is not a profile's section.</param>
    /// <returns><see langword="false"/> when it does not exist (a failure).</returns>
    public bool Exists(IConfiguration section, string path, string? consequenceAndFix = null)
    {
        // A configuration's root (a file of its own) is empty when the file is missing (optional) or holds nothing.
        if (section is IConfigurationSection { Value: not null } || section.GetChildren().Any())
        {
            return true;
        }

        var missing = Missing(section);
        if (consequenceAndFix is not null)
        {
            _failures.Add(new(path, $"{missing}, so {consequenceAndFix}; {Docs}."));
            return false;
        }

        _failures.Add(new(path, $"{missing}, so the profile would silently run with the library's defaults. Fix: correct the path, give the section a value, or, for the defaults, register the profile without a section (services.AddKeepAlive(\"name\", o => {{ }})) or list it under KeepAlive:Profiles and call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")); {Docs}."));
        return false;
    }

    /// <summary>Says what a section that holds nothing is: a missing or empty section, or an empty configuration (a file of its own).</summary>
    /// <param name="section">The section, or a configuration's root.</param>
    public static string Missing(IConfiguration section) => section is IConfigurationSection
        ? "no such section in the configuration, or an empty one (configuration cannot tell them apart)"
        : "the configuration is empty (an optional file that is not found, or one with nothing in it)";

    /// <summary>Refuses a section as a whole, for a reason its caller found.</summary>
    /// <param name="path">The section's configuration path.</param>
    /// <param name="messageAndFix">What is wrong and the fix.</param>
    public void Refuse(string path, string messageAndFix) => _failures.Add(new(path, messageAndFix));

    /// <summary>
    /// Checks that a section holds only known keys: one failure per unknown key, with its path and the closest known key.
    /// The known keys are listed once per section, by its first unknown key's failure; each other one points to that path
    /// (a section with four misspelt keys printed the same list four times).
    /// </summary>
    /// <param name="section">The section.</param>
    /// <param name="path">Its configuration path.</param>
    /// <param name="keys">The keys it may hold.</param>
    /// <param name="keyPath">Names a key of the section in messages; <c>path:key</c> when <see langword="null"/>.</param>
    /// <returns><see langword="false"/> when it holds a plain value instead of keys (a failure too).</returns>
    public bool Open(IConfiguration section, string path, IReadOnlyList<string> keys, Func<string, string>? keyPath = null)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0 && section is IConfigurationSection { Value: { Length: > 0 } text })
        {
            _failures.Add(new(path, $"is the value '{text}', but it must be a section with keys ({string.Join(", ", keys)}). Fix: write it as an object, for example {{ \"{keys[0]}\": ... }}; {Docs}."));
            return false;
        }

        string? listedAt = null;
        foreach (var child in children.Where(c => !keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            var childPath = keyPath?.Invoke(child.Key) ?? $"{path}:{child.Key}";
            var known = listedAt is null ? $": {string.Join(", ", keys)}" : $" listed for {listedAt}";
            _failures.Add(new(childPath, $"unknown key '{child.Key}'.{ClosestName.Suggest(child.Key, keys)} Fix: remove it or use one of the known keys{known}; {Docs}."));
            listedAt ??= childPath;
        }

        return true;
    }

    // The text of a key that takes one value; null when it is absent or is a section (a failure).
    private string? Value(IConfigurationSection child, string path)
    {
        var children = child.GetChildren().ToList();
        if (children.Count > 0)
        {
            _failures.Add(new(path, $"is a section or an array ({string.Join(", ", children.Select(static c => $"{c.Key} = '{c.Value}'"))}), but it takes one value. Fix: write a single value; {Docs}."));
            return null;
        }

        return child.Value;
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// Duration and number options parsed by the library: durations by <see cref="KeepAliveDuration"/> (30s, 5m, 250ms,
/// 00:00:30; a bare number is refused), and a flag that sets a profile value by that value's declared
/// <see cref="KeepAliveRangeAttribute"/>, so it accepts and refuses exactly what configuration and code do, in the same words.
/// </summary>
internal static class Durations
{
    /// <summary>
    /// A duration flag that sets no profile value, checked against <paramref name="range"/>, the flag's own declared
    /// range (so a huge value is refused with the range and a fix, never passed to a timer that throws).
    /// </summary>
    public static Option<TimeSpan?> Option(string name, string description, KeepAliveRangeAttribute range) => new(name)
    {
        Description = $"{description} Allowed: {range}. Written as 30s, 5m, 250ms or 00:00:30.",
        HelpName = "duration",
        CustomParser = result => range.TryParse(Text(result), out TimeSpan value, out var error) ? value : Fail<TimeSpan?>(result, name, error),
    };

    /// <summary>
    /// An idle-timeout flag that sets no profile value: a <see cref="PeerIdleTimeout"/> preset's duration (read by the
    /// library's parser, so a misspelt one is answered with the presets), or a duration within <paramref name="range"/>.
    /// </summary>
    public static Option<TimeSpan?> IdleTimeoutOption(string name, string description, KeepAliveRangeAttribute range) => new(name)
    {
        Description = $"{description} A preset ({string.Join(", ", PeerIdleTimeout.Presets.Select(static p => p.PresetName))}) or a duration, {range}. Written as 30s, 5m, 250ms or 00:00:30.",
        HelpName = "preset|duration",
        CustomParser = result =>
        {
            var text = Text(result);
            if (PeerIdleTimeout.TryParse(text, out var peer, out var presetError) && peer.PresetName is not null)
            {
                return peer.Value;
            }

            // Text that starts with a letter was meant as a preset: the library's refusal lists them and the closest name.
            return text.TrimStart() is [var first, ..] && char.IsLetter(first) ? Fail<TimeSpan?>(result, name, presetError!)
                : range.TryParse(text, out TimeSpan value, out var error) ? value : Fail<TimeSpan?>(result, name, error);
        },
    };

    /// <summary>A whole-number flag that sets no profile value, checked against its own declared <paramref name="range"/>.</summary>
    public static Option<int?> WholeNumber(string name, string description, string helpName, KeepAliveRangeAttribute range) => new(name)
    {
        Description = $"{description} Allowed: {range}.",
        HelpName = helpName,
        CustomParser = result => range.TryParse(Text(result), out int value, out var error) ? value : Fail<int?>(result, name, error),
    };

    /// <summary>A duration flag that sets a profile value, checked against that value's declared range.</summary>
    /// <typeparam name="T">The options type that declares the value.</typeparam>
    /// <param name="name">The flag, e.g. <c>--idle</c>.</param>
    /// <param name="description">What it sets.</param>
    /// <param name="setting">The profile value, e.g. <c>Tcp:IdleTime</c>; its last part is the property.</param>
    public static Option<TimeSpan?> Option<T>(string name, string description, string setting)
    {
        var range = RangeOf<T>(setting);
        return new(name)
        {
            Description = $"{description} ({setting}): {range}. Written as 30s, 5m, 250ms or 00:00:30.",
            HelpName = "duration",
            CustomParser = result => range.TryParse(Text(result), out TimeSpan value, out var error) ? value : Fail<TimeSpan?>(result, $"{name} ({setting})", error),
        };
    }

    /// <summary>A whole-number flag that sets a profile value, checked against that value's declared range.</summary>
    public static Option<int?> WholeNumber<T>(string name, string description, string helpName, string setting)
    {
        var range = RangeOf<T>(setting);
        return new(name)
        {
            Description = $"{description} ({setting}): {range}.",
            HelpName = helpName,
            CustomParser = result => range.TryParse(Text(result), out int value, out var error) ? value : Fail<int?>(result, $"{name} ({setting})", error),
        };
    }

    /// <summary>The declared range of a profile value such as <c>Tcp:IdleTime</c>, as the library declares it on <typeparamref name="T"/>.</summary>
    public static KeepAliveRangeAttribute RangeOf<T>(string setting) =>
        typeof(T).GetProperty(setting[(setting.LastIndexOf(':') + 1)..])?.GetCustomAttribute<KeepAliveRangeAttribute>()
        ?? throw new InvalidOperationException($"{typeof(T).Name} declares no range for {setting}.");

    /// <summary>Reports a flag's value as refused; the message starts with the flag.</summary>
    public static T? Fail<T>(ArgumentResult result, string name, string error)
    {
        result.AddError($"{name}: {error}");
        return default;
    }

    public static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
}

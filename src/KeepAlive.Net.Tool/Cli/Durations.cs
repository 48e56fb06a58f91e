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
    /// <summary>A duration flag; <paramref name="range"/> is the declared range of the value it sets, if it sets one.</summary>
    public static Option<TimeSpan?> Option(string name, string description, KeepAliveRangeAttribute? range = null) => new(name)
    {
        Description = description + (range is null ? string.Empty : $" {range}.") + " Written as 30s, 5m, 250ms or 00:00:30.",
        HelpName = "duration",
        CustomParser = result => Parse(name, result, range),
    };

    /// <summary>A whole-number flag that sets a profile value, checked against that value's declared range.</summary>
    public static Option<int?> WholeNumber(string name, string description, string helpName, KeepAliveRangeAttribute range) => new(name)
    {
        Description = $"{description} {range}.",
        HelpName = helpName,
        CustomParser = result => range.TryParse(Text(result), out int value, out var error) ? value : Fail<int?>(result, name, error),
    };

    /// <summary>The declared range of one option, as the library declares it.</summary>
    public static KeepAliveRangeAttribute RangeOf<T>(string property) =>
        typeof(T).GetProperty(property)?.GetCustomAttribute<KeepAliveRangeAttribute>()
        ?? throw new InvalidOperationException($"{typeof(T).Name}.{property} declares no range.");

    /// <summary>Reports a flag's value as refused; the message starts with the flag.</summary>
    public static T? Fail<T>(ArgumentResult result, string name, string error)
    {
        result.AddError($"{name}: {error}");
        return default;
    }

    public static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;

    private static TimeSpan? Parse(string name, ArgumentResult result, KeepAliveRangeAttribute? range)
    {
        var text = Text(result);
        if (range is not null)
        {
            return range.TryParse(text, out TimeSpan ranged, out var refused) ? ranged : Fail<TimeSpan?>(result, name, refused);
        }

        if (KeepAliveDuration.TryParse(text, out var value, out var error))
        {
            if (value > TimeSpan.Zero)
            {
                return value;
            }

            error = $"'{text}' is not positive. Write a positive duration such as \"30s\".";
        }

        return Fail<TimeSpan?>(result, name, error);
    }
}

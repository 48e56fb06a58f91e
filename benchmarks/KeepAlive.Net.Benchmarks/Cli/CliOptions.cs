using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Cli;

/// <summary>
/// The kinds of option the benchmark modes take, as System.CommandLine options with their own parsers: durations
/// through <see cref="KeepAliveDuration"/> (so <c>--duration 10</c> is refused and the message shows <c>10s</c>,
/// never read as ten days), positive counts (<c>1000000</c>, <c>1_000_000</c> or <c>1,000,000</c>) and
/// comma-separated lists whose every item is checked.
/// </summary>
internal static class CliOptions
{
    public static Option<TimeSpan> Duration(string name, TimeSpan defaultValue, string description) =>
        Value(name, defaultValue, ParseDuration, $"{description}: {KeepAliveDuration.AcceptedForms}.");

    public static Option<int> Count(string name, int defaultValue, string description) => Value(name, defaultValue, ParsePositive, description);

    /// <summary>An option of one value, parsed by <paramref name="parse"/>; its <see cref="ArgumentException"/> becomes a parse error naming the option.</summary>
    public static Option<T> Value<T>(string name, T defaultValue, Func<string, T> parse, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Single(result, parse),
    };

    public static Option<T[]> List<T>(string name, string defaultValue, Func<string, T> parse, string description) => new(name)
    {
        Description = $"{description} Comma-separated.",
        DefaultValueFactory = _ => [.. Split(defaultValue).Select(parse)],
        CustomParser = result =>
        {
            try
            {
                var items = result.Tokens.SelectMany(t => Split(t.Value)).Select(parse).ToArray();
                return items.Length > 0 ? items : throw new ArgumentException("the list is empty.");
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                result.AddError($"{OptionName(result)}: {e.Message}");
                return [];
            }
        },
    };

    /// <summary>Parses a positive duration with <see cref="KeepAliveDuration"/>; a bare number is refused with the fix in the message.</summary>
    public static TimeSpan ParseDuration(string text) =>
        !KeepAliveDuration.TryParse(text, out var value, out var error) ? throw new ArgumentException(error)
        : value > TimeSpan.Zero ? value
        : throw new ArgumentException($"'{text}' is not a positive duration.");

    /// <summary>Parses a positive whole number, allowing <c>_</c> and <c>,</c> as digit separators.</summary>
    public static int ParsePositive(string text)
    {
        var cleaned = text.Replace("_", string.Empty, StringComparison.Ordinal).Replace(",", string.Empty, StringComparison.Ordinal);
        return int.TryParse(cleaned, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"'{text}' is not a positive whole number.");
    }

    private static T Single<T>(ArgumentResult result, Func<string, T> parse)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));
        try
        {
            return parse(text);
        }
        catch (ArgumentException e)
        {
            result.AddError($"{OptionName(result)}: {e.Message}");
            return default!;
        }
    }

    private static string[] Split(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string OptionName(ArgumentResult result) => (result.Parent as OptionResult)?.Option.Name ?? result.Argument.Name;
}

using System.CommandLine;
using System.CommandLine.Parsing;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>Duration options parsed by the library's <see cref="KeepAliveDuration"/>: 30s, 5m, 250ms, 00:00:30; a bare number is refused.</summary>
internal static class Durations
{
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description + " Written as 30s, 5m, 250ms or 00:00:30.",
        HelpName = "duration",
        CustomParser = result => Parse(name, result),
    };

    private static TimeSpan? Parse(string name, ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (KeepAliveDuration.TryParse(text, out var value, out var error))
        {
            if (value > TimeSpan.Zero)
            {
                return value;
            }

            error = $"'{text}' is not positive. Write a positive duration such as \"30s\".";
        }

        result.AddError($"{name}: {error}");
        return null;
    }
}

using System.CommandLine;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// How every refusal (exit code 2) is written, whether the command-line parser or a command refused: one line per
/// mistake on standard error, in one shape, "what was written: what is wrong with it. Fix: ..." (no "error: " before it). With <c>--json</c>, also one JSON
/// object on standard output, where the command's JSON would have gone, so a script that parses it learns the refusal:
/// <c>{"exitCode": 2, "errors": [{"subject", "error", "fix", "message"}]}</c>.
/// </summary>
internal static class Refusals
{
    /// <summary>What starts a refusal's fix.</summary>
    public const string FixMark = " Fix: ";

    /// <summary>A refusal's one shape: "<paramref name="subject"/>: <paramref name="problem"/> Fix: <paramref name="fix"/>".</summary>
    /// <param name="subject">What was written: the option with its value, the argument, the path.</param>
    /// <param name="problem">What is wrong with it, a sentence with its full stop (and a "Did you mean" after it).</param>
    /// <param name="fix">What to do instead, a sentence with its full stop.</param>
    public static string Text(string subject, string problem, string fix) => $"{subject}: {problem}{FixMark}{fix}";

    /// <summary>Writes <paramref name="refusals"/> and returns <see cref="ExitCodes.BadInput"/>.</summary>
    /// <param name="console">Where to write.</param>
    /// <param name="refusals">One per mistake, each "subject: what is wrong. Fix: ...".</param>
    /// <param name="json">Whether the command line asked for JSON (<see cref="JsonAsked"/>).</param>
    public static async Task<int> WriteAsync(ToolConsole console, IReadOnlyList<string> refusals, bool json)
    {
        foreach (var refusal in refusals)
        {
            await console.Error.WriteLineAsync(refusal);
        }

        if (json)
        {
            JsonOutput.Write(console.Out, writer =>
            {
                writer.WriteNumber("exitCode", ExitCodes.BadInput);
                writer.WriteStartArray("errors");
                foreach (var refusal in refusals)
                {
                    WriteJson(writer, refusal);
                }

                writer.WriteEndArray();
            });
        }

        return ExitCodes.BadInput;
    }

    /// <summary>Whether the command line asks for JSON: the command has <see cref="JsonOutput.OptionName"/> and it was given (and not as false).</summary>
    public static bool JsonAsked(ParseResult result) =>
        result.CommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(static o => o.Name == JsonOutput.OptionName) is { } option
        && result.GetResult(option) is { Implicit: false } given
        && (given.Tokens.Count == 0 || !bool.TryParse(given.Tokens[^1].Value, out var value) || value);

    /// <summary>
    /// The parts of a refusal written by <see cref="Text"/>: "--pid abc: 'abc' is not a process id. Fix: give the number ..."
    /// is the subject "--pid abc", the error and the fix; a refusal without a subject on its first line, or without a fix,
    /// has null there.
    /// </summary>
    /// <param name="refusal">One refusal.</param>
    public static (string? Subject, string Error, string? Fix) Parts(string refusal)
    {
        var fixAt = refusal.IndexOf(FixMark, StringComparison.Ordinal);
        var said = fixAt < 0 ? refusal : refusal[..fixAt];
        var subjectEnd = said.IndexOf(": ", StringComparison.Ordinal);
        var lineEnd = said.IndexOf('\n', StringComparison.Ordinal);
        var subject = subjectEnd > 0 && (lineEnd < 0 || subjectEnd < lineEnd) ? said[..subjectEnd] : null;
        return (subject, subject is null ? said.Trim() : said[(subjectEnd + 2)..].Trim(), fixAt < 0 ? null : refusal[(fixAt + FixMark.Length)..].Trim());
    }

    private static void WriteJson(System.Text.Json.Utf8JsonWriter writer, string refusal)
    {
        var (subject, error, fix) = Parts(refusal);
        writer.WriteStartObject();
        writer.StringOrNull("subject", subject);
        writer.WriteString("error", error);
        writer.StringOrNull("fix", fix);
        writer.WriteString("message", refusal);
        writer.WriteEndObject();
    }
}

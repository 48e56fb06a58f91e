using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// What System.CommandLine refuses before a command runs, told the way the tool tells every refusal: what was written,
/// what is wrong with it, and "Fix: ...". Its own messages ("Option '--idle' expects a single argument but 2 were
/// provided.", "Unrecognized command or argument '--bogus'.") name neither the value nor the fix; a flag's own parser
/// (a duration, a pid) already does, and its message is kept as it is.
/// </summary>
internal static class ParseRefusals
{
    /// <summary>One refusal per mistake; empty when the command line parsed.</summary>
    public static IReadOnlyList<string> Of(ParseResult result)
    {
        var at = result.CommandResult;

        // An unknown option where the command's argument goes is taken for the argument ("analyze --bogus x.pcap" reads
        // the file "--bogus", and x.pcap is one value too many): it is the mistake, and what follows it is not. After "--"
        // every token is an argument, as written.
        var optionLike = result.Tokens.Any(static t => t.Type == TokenType.DoubleDash) ? []
            : at.Children.OfType<ArgumentResult>().SelectMany(static a => a.Tokens).Select(static t => t.Value).Where(static v => v.Length > 1 && v.StartsWith('-')).ToList();
        if (optionLike.Count > 0)
        {
            return [.. optionLike.Select(token => UnknownOption(token, token, at))];
        }

        if (result.Errors.Count == 0)
        {
            // System.CommandLine accepts a flag given twice ("--json --json") without an error.
            return [.. at.Children.OfType<OptionResult>().Where(static o => Judged(o.Option) && Repeats(o)).Select(Repeated)];
        }

        var command = at.Command;
        var refusals = new List<string>();
        refusals.AddRange(result.Errors.Select(static e => e.Message).Where(static m => m.Contains(Refusals.FixMark, StringComparison.Ordinal)));
        refusals.AddRange(Unmatched(result.UnmatchedTokens, at));
        foreach (var option in command.Options.Where(Judged))
        {
            var given = result.GetResult(option);
            if (given is null or { Implicit: true, Tokens.Count: 0 })
            {
                if (option.Required)
                {
                    refusals.Add(Refusals.Text(option.Name, $"not given, and '{Usage(at)}' needs it ({About(option)}).", $"add {Written(option)}."));
                }
            }
            else if (Repeats(given))
            {
                refusals.Add(Repeated(given));
            }
            else if (given.Tokens.Count == 0 && !given.Implicit && option.Arity.MinimumNumberOfValues > 0)
            {
                refusals.Add(Refusals.Text(option.Name, "no value after it.", $"write {Written(option)} ({About(option)})."));
            }
        }

        foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && result.GetResult(a) is not { Tokens.Count: > 0 }))
        {
            refusals.Add(Refusals.Text($"<{argument.Name}>", $"not given, and '{Usage(at)}' needs it ({About(argument)}).", $"add it: {Usage(at)}."));
        }

        if (command.Subcommands.Count > 0 && command.Action is null && !result.UnmatchedTokens.Any(static t => !t.StartsWith('-')))
        {
            refusals.Add(Refusals.Text(ToolApp.Name, "no command given.", $"name one of {Names(command)}, e.g. '{ToolApp.Name} show'; '{ToolApp.Name} --help' says what each does."));
        }

        // An error not recognised above keeps System.CommandLine's words, with the help to read.
        return refusals.Count > 0 ? refusals.Distinct().ToList()
            : [.. result.Errors.Select(e => Refusals.Text(Usage(at), e.Message, $"see '{Usage(at)} --help'."))];
    }

    // An unknown option takes the value written after it along ("--idel 30s"), so one typo is one refusal.
    private static IEnumerable<string> Unmatched(IReadOnlyList<string> tokens, CommandResult at)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith('-'))
            {
                yield return Unmatched(token, at);
                continue;
            }

            // "--idel=30s" and "--idel:30s" carry their value in the token, as System.CommandLine reads a known option's.
            if (token.IndexOfAny(['=', ':']) is var glued and > 0)
            {
                yield return UnknownOption(token, token[..glued], at);
                continue;
            }

            var written = i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-') ? $"{token} {tokens[++i]}" : token;
            yield return UnknownOption(written, token, at);
        }
    }

    private static string UnknownOption(string written, string token, CommandResult at)
    {
        var options = at.Command.Options.SelectMany(static o => o.Aliases.Prepend(o.Name)).ToList();
        return Refusals.Text(written, $"{(written == token ? "not" : $"{token} is not")} an option of '{Usage(at)}'.{ClosestName.Suggest(token, options)}", $"remove it, or see '{Path(at)} --help' for its options.");
    }

    private static string Unmatched(string token, CommandResult at)
    {
        var command = at.Command;
        return command.Subcommands.Count > 0
            ? Refusals.Text($"'{token}'", $"not a command of {ToolApp.Name}.{ClosestName.Suggest(token, command.Subcommands.Select(static c => c.Name))}", $"name one of {Names(command)}; '{ToolApp.Name} --help' says what each does.")
            : command.Arguments.Count == 0 ? Refusals.Text($"'{token}'", $"'{Usage(at)}' takes no arguments, only options.", $"remove it, or put the option it belongs to before it; see '{Usage(at)} --help'.")
            : Refusals.Text($"'{token}'", $"one value too many; '{Usage(at)}' takes no more.", $"remove it, or quote a value that holds spaces: {Usage(at)}.");
    }

    // An option written more than once, "--idle 1s --idle 2s" or a flag's "--json --json", is refused alike: which one
    // counts would be a guess.
    // --help and --version answer whatever else was written.
    private static bool Judged(Option option) => option is not (HelpOption or VersionOption);

    private static bool Repeats(OptionResult given) =>
        given.IdentifierTokenCount > 1 || (given.Tokens.Count > 1 && given.Option.Arity.MaximumNumberOfValues == 1);

    private static string Repeated(OptionResult given)
    {
        var option = given.Option;
        var values = given.Tokens.Select(static t => t.Value).ToList();
        var times = Math.Max(given.IdentifierTokenCount, values.Count);
        var written = values.Count == times ? values.Select(v => $"{option.Name} {v}") : Enumerable.Repeat(option.Name, times).Concat(values);
        var problem = values.Count > 1
            ? $"{option.Name} takes one value and was given {values.Count} ({string.Join(", ", values)})."
            : $"{option.Name} was given {times} times, and once says it.";
        return Refusals.Text(string.Join(' ', written), problem, $"give {option.Name} once{(values.Count > 0 ? $", e.g. {option.Name} {values[^1]}" : string.Empty)}.");
    }

    private static string About(Symbol symbol) => symbol.Description?.TrimEnd('.') ?? symbol.Name;

    private static string Names(Command command) => string.Join(", ", command.Subcommands.Where(static c => !c.Hidden).Select(static c => c.Name));

    private static string Written(Option option) => $"{option.Name} <{option.HelpName ?? "value"}>";

    // The command as typed, "keepalive doctor".
    private static string Path(CommandResult at) =>
        at.Parent is CommandResult parent ? $"{Path(parent)} {at.Command.Name}" : at.Command.Name;

    // The command and its arguments, "keepalive analyze <file>".
    private static string Usage(CommandResult at) =>
        string.Join(' ', at.Command.Arguments.Select(static a => $"<{a.Name}>").Prepend(Path(at)));
}

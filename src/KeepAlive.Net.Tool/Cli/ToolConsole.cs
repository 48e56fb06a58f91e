using Spectre.Console;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>Where the tool writes: plain text and JSON to <see cref="Out"/>, problems to <see cref="Error"/>, tables through <see cref="Ansi"/>.</summary>
internal sealed class ToolConsole(TextWriter output, TextWriter error, IAnsiConsole ansi)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public IAnsiConsole Ansi { get; } = ansi;

    public static ToolConsole System() => new(Console.Out, Console.Error, AnsiConsole.Console);

    /// <summary>A console that writes plain text (no colours, no cursor movement) to <paramref name="output"/>, for tests and redirected output.</summary>
    public static ToolConsole Plain(TextWriter output, TextWriter error) => new(output, error, AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(output),
    }));
}

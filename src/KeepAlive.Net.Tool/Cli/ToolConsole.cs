using Spectre.Console;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>Where the tool writes: plain text and JSON to <see cref="Out"/>, problems to <see cref="Error"/>, tables through <see cref="Ansi"/>.</summary>
internal sealed class ToolConsole(TextWriter output, TextWriter error, IAnsiConsole ansi, ToolPlatform? platform = null)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public IAnsiConsole Ansi { get; } = ansi;

    /// <summary>Gets the system the commands read (<see cref="ToolPlatform.Current"/>; tests set another).</summary>
    public ToolPlatform Platform { get; } = platform ?? ToolPlatform.Current;

    /// <summary>Width used when the output is not a terminal (a file, a pipe, a test), so lines are not wrapped at 80 columns.</summary>
    public const int RedirectedWidth = 240;

    public static ToolConsole System()
    {
        var ansi = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            ansi.Profile.Width = RedirectedWidth;
        }

        return new(Console.Out, Console.Error, ansi);
    }

    /// <summary>A console that writes plain text (no colours, no cursor movement) to <paramref name="output"/>, for tests and redirected output.</summary>
    public static ToolConsole Plain(TextWriter output, TextWriter error, ToolPlatform? platform = null)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        ansi.Profile.Width = RedirectedWidth;
        return new(output, error, ansi, platform);
    }
}

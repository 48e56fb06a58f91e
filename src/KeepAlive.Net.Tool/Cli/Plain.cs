using Spectre.Console;
using Spectre.Console.Rendering;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// Tables and lines whose text is never read as Spectre markup. Endpoints such as <c>[::1]:7300</c>, file names and
/// library messages contain square brackets, which markup would take for a style ("Could not find color or style
/// '::1'"); every table and line the tool prints goes through here, so no value can be mistaken for markup.
/// </summary>
internal static class Plain
{
    public static Table Table(string? title, params string[] columns)
    {
        var table = new Table();
        if (title is not null)
        {
            table.Title = new TableTitle(Markup.Escape(title));
        }

        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    public static Table Row(this Table table, params string[] cells)
    {
        table.AddRow(cells.Select(static cell => (IRenderable)new Text(cell)));
        return table;
    }

    /// <summary>
    /// Writes one line as it is, optionally in a colour. In a terminal Spectre wraps it at the window's width; to a file
    /// or a pipe it goes out whole, so scripts and grep see one line per verdict.
    /// </summary>
    public static void Line(this IAnsiConsole console, string text, Color? colour = null)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            console.WriteLine(text, colour is { } c ? new Style(c) : Style.Plain);
        }
        else
        {
            console.Profile.Out.Writer.WriteLine(text);
        }
    }
}

using System.CommandLine;
using KeepAlive.Net.Tool.Analyze;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>The <c>keepalive</c> command line: show, check and analyze; exit codes 0 fine, 1 finding, 2 bad input.</summary>
internal static class ToolApp
{
    public static RootCommand Create(ToolConsole console) =>
        new("keepalive: from keep-alive configuration to packets. Exit codes: 0 fine, 1 a finding (dead or killed connection, late heartbeat), 2 bad input.")
        {
            ShowCommand.Create(console),
            CheckCommand.Create(console),
            AnalyzeCommand.Create(console),
        };

    public static async Task<int> RunAsync(string[] args, ToolConsole console, CancellationToken cancellationToken = default)
    {
        var root = Create(console);
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await console.Error.WriteLineAsync(error.Message);
            }

            await console.Error.WriteLineAsync("Run 'keepalive --help' for usage.");
            return ExitCodes.BadInput;
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (ToolInputException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.BadInput;
        }
    }
}

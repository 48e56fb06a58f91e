using System.CommandLine;
using System.CommandLine.Help;
using KeepAlive.Net.Tool.Analyze;
using KeepAlive.Net.Tool.Check;
using KeepAlive.Net.Tool.Doctor;
using KeepAlive.Net.Tool.ProbeIdle;
using KeepAlive.Net.Tool.Show;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>The <c>keepalive</c> command line: show, check, analyze, doctor and probe-idle; its exit codes are <see cref="ExitCodes"/>'s, listed in the root help.</summary>
internal static class ToolApp
{
    /// <summary>The command's name in help and messages: the installed command, not the assembly (KeepAlive.Net.Tool).</summary>
    public const string Name = "keepalive";

    /// <summary>
    /// The root command. <see cref="RootCommand"/> takes its name from the running assembly, so help would say
    /// "KeepAlive.Net.Tool"; a command named <see cref="Name"/> with the same help, version and suggest support says "keepalive".
    /// </summary>
    public static Command Create(ToolConsole console) =>
        new(Name, $"keepalive: from keep-alive configuration to packets. Exit codes: {ExitCodes.Listed}.")
        {
            new HelpOption(),
            new VersionOption(),
            ShowCommand.Create(console),
            CheckCommand.Create(console),
            AnalyzeCommand.Create(console),
            DoctorCommand.Create(console),
            ProbeIdleCommand.Create(console),
        };

    public static async Task<int> RunAsync(string[] args, ToolConsole console, CancellationToken cancellationToken = default)
    {
        var root = Create(console);
        var result = root.Parse(args);
        if (ParseRefusals.Of(result) is { Count: > 0 } refusals)
        {
            return await Refusals.WriteAsync(console, refusals, Refusals.JsonAsked(result));
        }

        try
        {
            // Ctrl-C and SIGTERM cancel the command's token (check ends its hold with the summary and closes its capture
            // whole); an InvocationConfiguration made here handles neither unless the timeout is set: the process died
            // at once, its capture cut in the middle of a frame.
            var configuration = new InvocationConfiguration
            {
                Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
            };
            return await result.InvokeAsync(configuration, cancellationToken);
        }
        catch (ToolInputException e)
        {
            return await Refusals.WriteAsync(console, e.Refusals, Refusals.JsonAsked(result));
        }
        catch (OperationCanceledException)
        {
            // A command that ends its work on cancellation (check, probe-idle --json) returns its own code; any other stops
            // here. With --json its object still comes, where the command's would have gone: a script that parses it is
            // never left with nothing.
            var stopped = Stopped("the command", "nothing was concluded");
            await console.Error.WriteLineAsync(stopped);
            if (Refusals.JsonAsked(result))
            {
                JsonOutput.Write(console.Out, json => WriteCancelled(json, stopped));
            }

            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // Not the input and not a signal: a bug. One line that says so and what to do, then the trace to report,
            // on standard error; never the runtime's unhandled-exception dump and its exit code 134.
            await console.Error.WriteLineAsync(InternalError(e));
            await console.Error.WriteLineAsync(e.ToString());
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The line an unexpected exception is summed up in, on standard error before its stack trace.</summary>
    /// <param name="exception">The exception nothing else handled.</param>
    public static string InternalError(Exception exception) =>
        $"{Name}: internal error: {exception.GetType().Name}: {exception.Message.TrimEnd('.')}. Please report it with the command line and the trace below. Exit code {ExitCodes.InternalError}.";

    /// <summary>
    /// Sets <paramref name="run"/>, a command's blocking work, as <paramref name="command"/>'s action: asynchronous and run
    /// off the invoking thread, since only for such an action does System.CommandLine turn Ctrl-C and SIGTERM into the
    /// token (a synchronous one dies at once: exit 143, and nothing on standard output with --json). The work stops at its
    /// next check of the token.
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="run">The work, given the parse result and the token; returns the exit code.</param>
    public static void SetBlockingAction(Command command, Func<ParseResult, CancellationToken, int> run) =>
        command.SetAction((result, cancellationToken) => Task.Run(() => run(result, cancellationToken), CancellationToken.None));

    /// <summary>The line a command stopped by Ctrl-C or SIGTERM writes to standard error: what stopped, and what became of its work.</summary>
    /// <param name="what">What was stopped ("the command", "probe-idle").</param>
    /// <param name="outcome">What was concluded, or was not.</param>
    public static string Stopped(string what, string outcome) =>
        $"stopped: interrupted (Ctrl-C or SIGTERM) before {what} finished; {outcome}. Exit code {ExitCodes.Interrupted}.";

    /// <summary>
    /// The fields every <c>--json</c> of a run stopped by Ctrl-C or SIGTERM carries: <c>"cancelled": true</c>,
    /// <c>"exitCode"</c>: <see cref="ExitCodes.Interrupted"/> and the line written to standard error as <c>"message"</c>.
    /// </summary>
    public static void WriteCancelled(System.Text.Json.Utf8JsonWriter json, string message)
    {
        json.WriteBoolean("cancelled", true);
        json.WriteNumber("exitCode", ExitCodes.Interrupted);
        json.WriteString("message", message);
    }
}

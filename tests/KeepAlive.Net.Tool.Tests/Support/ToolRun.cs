using System.Diagnostics;
using System.Text;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>Runs the <c>keepalive</c> command line, in this process or as a real process (optionally inside a network namespace).</summary>
internal static class ToolRun
{
    public static string ToolDll => typeof(ToolApp).Assembly.Location;

    public static async Task<(int ExitCode, string Output, string Error)> InProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ToolApp.RunAsync(args, ToolConsole.Plain(output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>dotnet KeepAlive.Net.Tool.dll ARGS</c>, inside <paramref name="netns"/> when given.</summary>
    public static async Task<(int ExitCode, string Output)> ProcessAsync(string? netns, TimeSpan timeout, params string[] args)
    {
        var prefix = netns is null ? [] : new[] { "netns", "exec", netns, "dotnet" };
        var start = new ProcessStartInfo(netns is null ? "dotnet" : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in prefix.Append(ToolDll).Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["COLUMNS"] = "160";
        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => { lock (gate) { text.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (gate) { text.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"keepalive {string.Join(' ', args)} did not finish within {timeout}:\n{text}");
        }

        process.WaitForExit();
        lock (gate)
        {
            return (process.ExitCode, text.ToString());
        }
    }
}

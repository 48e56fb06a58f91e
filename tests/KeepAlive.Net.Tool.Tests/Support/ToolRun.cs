using System.Diagnostics;
using System.Text;
using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>Runs the <c>keepalive</c> command line, in this process or as a real process (optionally inside a network namespace).</summary>
internal static class ToolRun
{
    public static string ToolDll => typeof(ToolApp).Assembly.Location;

    /// <summary>
    /// How to start the tool built into <paramref name="folder"/> (the test's output) as a process: <c>dotnet exec</c> with
    /// the test assembly's runtime configuration and dependencies. The test project references the ASP.NET Core shared
    /// framework (for Kestrel), so the Microsoft.Extensions assemblies the tool needs come from there and are not copied
    /// next to it; the tool's own runtimeconfig.json would not find them.
    /// </summary>
    public static string[] Dotnet(string folder)
    {
        var tests = Path.Combine(folder, Path.GetFileNameWithoutExtension(typeof(ToolRun).Assembly.Location));
        return ["dotnet", "exec", "--runtimeconfig", tests + ".runtimeconfig.json", "--depsfile", tests + ".deps.json", Path.Combine(folder, Path.GetFileName(ToolDll))];
    }

    /// <summary>
    /// Copies the built tool (the test's output) into <paramref name="folder"/>/tool and opens both to every user, so the
    /// tool can run as the user nobody (<c>setpriv --reuid=65534</c>; the repository may sit under /root); returns the copy's folder, for <see cref="Dotnet"/>.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static string CopyWhereNobodyCanRunIt(string folder)
    {
        var target = Directory.CreateDirectory(Path.Combine(folder, "tool")).FullName;
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(ToolDll)!))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var path in new[] { folder, target })
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.OtherWrite);
        }

        return target;
    }

    public static async Task<(int ExitCode, string Output, string Error)> InProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ToolApp.RunAsync(args, ToolConsole.Plain(output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>
    /// The lines <c>keepalive show</c> refuses the profile of <paramref name="profileArgs"/> with (exit 2 asserted): the
    /// refusal another command must give for the same profile, as the application that reads it refuses it at start-up.
    /// </summary>
    /// <param name="profileArgs">The profile's options: <c>--settings FILE</c> and any flags over it.</param>
    public static async Task<string[]> ShowRefusalAsync(params string[] profileArgs)
    {
        var (exitCode, output, error) = await InProcessAsync(["show", .. profileArgs]);
        exitCode.Should().Be(2, $"show refuses the profile; it printed: {output}{error}");
        return Lines(error);
    }

    /// <summary>The non-empty lines of what a command wrote.</summary>
    /// <param name="text">Its standard output or error.</param>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs the tool as a process (<see cref="Dotnet"/>), inside <paramref name="netns"/> when given; standard output and error interleaved.</summary>
    public static async Task<(int ExitCode, string Output)> ProcessAsync(string? netns, TimeSpan timeout, params string[] args)
    {
        var run = await RunAsync(netns is null ? [] : ["ip", "netns", "exec", netns], timeout, args);
        return (run.ExitCode, run.Interleaved);
    }

    /// <summary>
    /// Runs the tool as a process behind <paramref name="prefix"/> (e.g. <c>ip netns exec NS</c>, <c>setpriv ...</c>);
    /// returns standard output and error apart, and everything interleaved as a terminal would show it.
    /// </summary>
    public static Task<(int ExitCode, string Output, string Error, string Interleaved)> RunAsync(string[] prefix, TimeSpan timeout, params string[] args) =>
        RunCommandAsync([.. prefix, .. Dotnet(Path.GetDirectoryName(ToolDll)!), .. args], timeout, null);

    /// <inheritdoc cref="RunAsync(string[], TimeSpan, string[])"/>
    /// <param name="prefix">What runs the tool, e.g. <c>ip netns exec NS</c>.</param>
    /// <param name="timeout">How long it may run.</param>
    /// <param name="started">Called with the process once it runs (its id is the tool's: neither <c>ip netns exec</c> nor <c>dotnet</c> forks).</param>
    /// <param name="args">The tool's arguments.</param>
    public static Task<(int ExitCode, string Output, string Error, string Interleaved)> RunAsync(string[] prefix, TimeSpan timeout, Action<Process> started, params string[] args) =>
        RunCommandAsync([.. prefix, .. Dotnet(Path.GetDirectoryName(ToolDll)!), .. args], timeout, started);

    /// <summary>Runs <paramref name="command"/> (the program, then its arguments) to the end.</summary>
    public static async Task<(int ExitCode, string Output, string Error, string Interleaved)> RunCommandAsync(
        IReadOnlyList<string> command, TimeSpan timeout, Action<Process>? started, string? workingDirectory = null)
    {
        var args = command;
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["COLUMNS"] = "160";
        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        var output = new StringBuilder();
        var error = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => { lock (gate) { text.AppendLine(e.Data); output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (gate) { text.AppendLine(e.Data); error.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        started?.Invoke(process);
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
            return (process.ExitCode, output.ToString(), error.ToString(), text.ToString());
        }
    }
}

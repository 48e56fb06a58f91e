using System.CommandLine.Parsing;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>File arguments and flags refused in the tool's words (the flag, the value, the fix), not System.CommandLine's type names.</summary>
internal static class Paths
{
    /// <summary>Reads a file path; an empty one, and '-' (standard input or output, which the tool does not read or write), are refused.</summary>
    /// <param name="result">The argument or flag being parsed.</param>
    /// <param name="name">The flag or argument as the user writes it, e.g. <c>--capture</c>.</param>
    /// <param name="example">A good value, e.g. <c>/tmp/check.pcap</c>.</param>
    public static FileInfo? Parse(ArgumentResult result, string name, string example)
    {
        var text = Durations.Text(result);
        return string.IsNullOrWhiteSpace(text)
            ? Durations.Fail<FileInfo>(result, name, $"the file name is empty. Fix: give a path, for example {example}.")
            : text.Trim() == "-"
                ? Durations.Fail<FileInfo>(result, name, $"'-' (standard input or output) is not supported: the tool reads and writes files by name. Fix: save it to a file first and give its path, for example {example}.")
                : new FileInfo(text);
    }

    /// <summary>Refuses a path to read that is no file (missing, or a directory), or a file this user may not read.</summary>
    /// <param name="subject">How the path was given, e.g. <c>--settings /etc/app</c>.</param>
    /// <param name="path">The path.</param>
    /// <param name="give">What to give instead, e.g. <c>give a .pcap or .pcapng file</c>.</param>
    /// <exception cref="ToolInputException">The path is not a file, or not readable.</exception>
    public static void RequireFile(string subject, string path, string give)
    {
        if (!File.Exists(path))
        {
            throw new ToolInputException($"{subject}: {(Directory.Exists(path) ? "a directory, not a file" : "no such file")}. Fix: {give}.");
        }

        try
        {
            File.OpenRead(path).Dispose();
        }
        catch (UnauthorizedAccessException e)
        {
            // A capture tcpdump wrote as root (mode 0600), read as another user: no crash with a stack trace.
            throw new ToolInputException(
                $"{subject}: not readable by this user ({e.GetBaseException().Message.TrimEnd('.')}). Fix: run keepalive as a user who may read it (e.g. with sudo), or make it readable: chmod a+r {path}.", e);
        }
    }
}

using System.CommandLine.Parsing;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>File arguments and flags refused in the tool's words (the flag, the value, the fix), not System.CommandLine's type names.</summary>
internal static class Paths
{
    /// <summary>Reads a file path; an empty one is refused.</summary>
    /// <param name="result">The argument or flag being parsed.</param>
    /// <param name="name">The flag or argument as the user writes it, e.g. <c>--capture</c>.</param>
    /// <param name="example">A good value, e.g. <c>/tmp/check.pcap</c>.</param>
    public static FileInfo? Parse(ArgumentResult result, string name, string example)
    {
        var text = Durations.Text(result);
        return string.IsNullOrWhiteSpace(text)
            ? Durations.Fail<FileInfo>(result, name, $"the file name is empty. Fix: give a path, for example {example}.")
            : new FileInfo(text);
    }
}

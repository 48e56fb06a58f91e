using System.CommandLine.Parsing;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>File arguments and flags refused in the tool's words (the flag, the value, the fix), not System.CommandLine's type names.</summary>
internal static partial class Paths
{
    /// <summary>Reads the path of a file to read; an empty one, and '-' (standard input, which the tool does not read), are refused.</summary>
    /// <param name="result">The argument or flag being parsed.</param>
    /// <param name="name">The flag or argument as the user writes it, e.g. <c>--settings</c>.</param>
    /// <param name="example">A good value, e.g. <c>--settings appsettings.json</c>.</param>
    public static FileInfo? ParseToRead(ArgumentResult result, string name, string example) =>
        Parse(result, name, example, "'-' (standard input or output) is not supported: the tool reads and writes files by name. Fix: save it to a file first and give its path");

    /// <summary>Reads the path of a file to write; an empty one, and '-' (standard output, which carries the command's report), are refused.</summary>
    /// <param name="result">The flag being parsed.</param>
    /// <param name="name">The flag as the user writes it, e.g. <c>--capture</c>.</param>
    /// <param name="example">A good value, e.g. <c>--capture /tmp/check.pcap</c>.</param>
    public static FileInfo? ParseToWrite(ArgumentResult result, string name, string example) =>
        Parse(result, name, example, "'-' (standard output) is not supported: the tool writes files by name, and standard output carries the command's report. Fix: give the path of the file to write");

    private static FileInfo? Parse(ArgumentResult result, string name, string example, string dashRefusal)
    {
        var text = Durations.Text(result);
        return string.IsNullOrWhiteSpace(text)
            ? Durations.Fail<FileInfo>(result, name, $"the file name is empty. Fix: give a path, for example {example}.")
            : text.Trim() == "-"
                ? Durations.Fail<FileInfo>(result, name, $"{dashRefusal}, for example {example}.")
                : new FileInfo(text);
    }

    /// <summary>
    /// Refuses a path to read that is no file (missing, a directory, or on Linux a named pipe, device or socket: judged by
    /// its type, never by opening it, which would take what a pipe's writer sends), or a file this user may not read.
    /// </summary>
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

        if (SpecialFileKind(path) is { } kind)
        {
            throw new ToolInputException($"{subject}: a {kind}, not a regular file: the tool reads a file by name, and more than once, which a pipe or device cannot give. Fix: {give}; to read what a pipe carries, save it to a file first (cat PIPE > FILE) and give that file.");
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

    /// <summary>What <paramref name="path"/> is when it is no regular file: a named pipe, device or socket (Linux, read with statx, which opens nothing); else null.</summary>
    private static string? SpecialFileKind(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        const int AtCurrentDirectory = -100, StatxType = 1, ModeOffset = 28, TypeMask = 0xF000;
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtCurrentDirectory, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        return (MemoryMarshal.Read<ushort>(buffer[ModeOffset..]) & TypeMask) switch
        {
            0x1000 => "named pipe (FIFO)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => null,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}

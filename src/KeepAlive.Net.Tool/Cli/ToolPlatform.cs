using System.Runtime.InteropServices;

namespace KeepAlive.Net.Tool.Cli;

/// <summary>
/// The operating system the tool runs on, and the one rule for commands that read Linux-only kernel interfaces: elsewhere they
/// say so and exit 2 (bad input), before touching anything. A value, so tests can run a command as if on another system.
/// </summary>
/// <param name="Description">The system's description, as the message shows it.</param>
/// <param name="IsLinux">Whether /proc, pidfd_getfd and TCP_INFO are there.</param>
internal sealed record ToolPlatform(string Description, bool IsLinux)
{
    /// <summary>Gets the system this process runs on.</summary>
    public static ToolPlatform Current { get; } = new(RuntimeInformation.OSDescription, OperatingSystem.IsLinux());

    /// <summary>Refuses to go on unless this is Linux.</summary>
    /// <param name="command">The command, e.g. <c>doctor</c>.</param>
    /// <param name="needs">What it reads that only Linux has.</param>
    /// <exception cref="ToolInputException">Not Linux.</exception>
    public void RequireLinux(string command, string needs)
    {
        if (!IsLinux)
        {
            throw new ToolInputException($"{command} {needs}, which only Linux has: not supported on this platform ({Description}). Fix: run {command} on the Linux host, container or WSL 2 distribution that holds the connections or the path to probe.");
        }
    }
}

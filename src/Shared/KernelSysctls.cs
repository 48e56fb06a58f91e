using System.Globalization;

namespace KeepAlive.Net;

/// <summary>
/// Linux's system-wide TCP settings (<c>sysctl net.ipv4.*</c>) that apply where a socket sets nothing: one reader, compiled
/// into the core (the defaults of <c>KeepAliveCapabilities.Current</c>; the tool's <c>keepalive show</c> reads it from there)
/// and the Npgsql package (its start-up line, as Npgsql has no socket hook), with the kernel's model of how long it retransmits.
/// </summary>
internal static class KernelSysctls
{
    /// <summary><c>net.ipv4.tcp_keepalive_time</c>: the idle seconds before the first probe.</summary>
    public const string KeepAliveTime = "tcp_keepalive_time";

    /// <summary><c>net.ipv4.tcp_keepalive_intvl</c>: the seconds between probes.</summary>
    public const string KeepAliveInterval = "tcp_keepalive_intvl";

    /// <summary><c>net.ipv4.tcp_keepalive_probes</c>: the unanswered probes after which the kernel drops a connection.</summary>
    public const string KeepAliveProbes = "tcp_keepalive_probes";

    /// <summary><c>net.ipv4.tcp_retries2</c>: how often unacknowledged data is retransmitted before the connection is dropped.</summary>
    public const string Retries2 = "tcp_retries2";

    /// <summary>Where the settings are read: this process's network namespace.</summary>
    public const string Directory = "/proc/sys/net/ipv4/";

    /// <summary>Reads one setting (<see cref="KeepAliveTime"/>, <see cref="KeepAliveInterval"/>, <see cref="KeepAliveProbes"/>, <see cref="Retries2"/>).</summary>
    /// <param name="name">The setting's name under <see cref="Directory"/>.</param>
    /// <returns>The value, or <see langword="null"/> where it cannot be read (not Linux, no such file, no permission).</returns>
    public static int? Read(string name)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return int.TryParse(File.ReadAllText(Directory + name).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : null;
        }
        catch (IOException)
        {
            return null; // FileNotFoundException and DirectoryNotFoundException included
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// How long Linux retransmits unacknowledged data before giving up with <paramref name="retries2"/> retries
    /// (<see cref="Retries2"/>) and no user timeout: the kernel's own model, exponential back-off from TCP_RTO_MIN (200ms)
    /// capped at TCP_RTO_MAX (2m).
    /// </summary>
    /// <param name="retries2">The value of <see cref="Retries2"/>.</param>
    /// <returns>The time from the first transmission until the connection is dropped.</returns>
    public static TimeSpan RetransmissionTimeout(int retries2)
    {
        var total = 0.0;
        for (var i = 0; i <= retries2; i++)
        {
            total += Math.Min(0.2 * Math.Pow(2, i), 120);
        }

        return TimeSpan.FromSeconds(total);
    }
}

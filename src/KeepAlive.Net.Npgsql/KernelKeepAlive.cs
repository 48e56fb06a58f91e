using System.Globalization;

namespace KeepAlive.Net.Npgsql;

/// <summary>The kernel's keep-alive defaults that apply where Npgsql cannot set a value.</summary>
internal static class KernelKeepAlive
{
    /// <summary><c>net.ipv4.tcp_keepalive_probes</c>: the unanswered probes after which the kernel drops a connection.</summary>
    public const string ProbesPath = "/proc/sys/net/ipv4/tcp_keepalive_probes";

    /// <summary><c>net.ipv4.tcp_keepalive_time</c>: the idle seconds before the first probe when Npgsql sets no Tcp Keepalive Time.</summary>
    public const string TimePath = "/proc/sys/net/ipv4/tcp_keepalive_time";

    /// <summary><c>net.ipv4.tcp_keepalive_intvl</c>: the seconds between probes when Npgsql sets no Tcp Keepalive Time.</summary>
    public const string IntervalPath = "/proc/sys/net/ipv4/tcp_keepalive_intvl";

    /// <summary>Reads one of the kernel's keep-alive settings (<see cref="ProbesPath"/>, <see cref="TimePath"/>, <see cref="IntervalPath"/>) of this process's network namespace.</summary>
    /// <param name="path">The setting's file.</param>
    /// <returns>The value, or <see langword="null"/> where it cannot be read (not Linux).</returns>
    public static int? Read(string path)
    {
        try
        {
            return OperatingSystem.IsLinux() && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using System.Globalization;

namespace KeepAlive.Net.Npgsql;

/// <summary>The kernel's keep-alive defaults that apply where Npgsql cannot set a value.</summary>
internal static class KernelKeepAlive
{
    private const string ProbesPath = "/proc/sys/net/ipv4/tcp_keepalive_probes";

    /// <summary>Reads <c>net.ipv4.tcp_keepalive_probes</c> of this process's network namespace; <see langword="null"/> where it cannot be read (not Linux).</summary>
    public static int? Probes()
    {
        try
        {
            return OperatingSystem.IsLinux() && int.TryParse(File.ReadAllText(ProbesPath).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var probes)
                ? probes
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

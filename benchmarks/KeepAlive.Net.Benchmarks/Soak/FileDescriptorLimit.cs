using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// The open-file limit this process runs with (the .NET runtime raises the soft limit to the hard limit at
/// start-up on Linux), read from /proc/self/limits; null where that file does not exist.
/// </summary>
internal static class FileDescriptorLimit
{
    /// <summary>Descriptors kept free for the runtime, the listener, pipes and the results.</summary>
    public const int Reserve = 256;

    public static long? Current()
    {
        const string Path = "/proc/self/limits";
        if (!File.Exists(Path))
        {
            return null;
        }

        var line = File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 3 } && long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
    }

    /// <summary>How many connections fit when each needs one descriptor in this process and one in the peer process.</summary>
    public static int MaxConnections(long? limit) => limit is { } l ? (int)Math.Max(0, Math.Min(int.MaxValue, l - Reserve)) : int.MaxValue;
}

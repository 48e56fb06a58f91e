using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// The kernel's memory as Linux reports it: slab (socket, inode, file and epoll objects: <c>Slab:</c> in /proc/meminfo)
/// and TCP buffer pages (<c>TCP: ... mem</c> in /proc/net/sockstat, in pages). Machine-wide: a delta taken around opening
/// connections is what they cost the kernel, plus whatever else the machine did meanwhile.
/// </summary>
/// <param name="SlabBytes">Slab bytes, or NaN where /proc is not there.</param>
/// <param name="TcpBufferBytes">TCP socket buffer bytes, or NaN where /proc is not there.</param>
internal readonly record struct KernelMemory(double SlabBytes, double TcpBufferBytes)
{
    private const double PageSize = 4096;

    /// <summary>Total of both.</summary>
    public double Bytes => SlabBytes + TcpBufferBytes;

    /// <summary>Reads both now.</summary>
    public static KernelMemory Read() => new(
        1024 * ReadField("/proc/meminfo", "Slab:", 1),
        PageSize * ReadField("/proc/net/sockstat", "TCP:", 10));

    /// <summary>What changed since <paramref name="before"/>, per item.</summary>
    public KernelMemory PerItemSince(KernelMemory before, int items) =>
        new((SlabBytes - before.SlabBytes) / items, (TcpBufferBytes - before.TcpBufferBytes) / items);

    private static double ReadField(string path, string prefix, int index)
    {
        if (!File.Exists(path))
        {
            return double.NaN;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is not null && fields.Length > index && double.TryParse(fields[index], NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
    }
}

using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>What protecting one connection costs in memory: managed bytes (live objects after a full collection) and resident bytes (VmRSS).</summary>
/// <param name="ManagedBytes">Managed heap bytes per connection.</param>
/// <param name="ResidentBytes">Resident memory per connection (the process's VmRSS), or NaN where /proc is not there.</param>
internal readonly record struct ProtectionMemory(double ManagedBytes, double ResidentBytes)
{
    /// <summary>Measures what <paramref name="protect"/> adds for <paramref name="count"/> connections, then <paramref name="release"/>s it.</summary>
    public static ProtectionMemory Measure(int count, Action protect, Action release)
    {
        var (managed, resident) = (LiveBytes(), ReadResident());
        protect();
        var result = new ProtectionMemory((LiveBytes() - managed) / (double)count, (ReadResident() - resident) / count);
        release();
        return result;
    }

    /// <summary>Bytes of live objects after a full compacting collection.</summary>
    public static long LiveBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }

    private static double ReadResident()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return double.NaN;
        }

        var line = File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? double.NaN : 1024 * double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}

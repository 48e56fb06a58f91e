using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>What the peer process saw: bytes received, connections accepted, connections closed before the end, its CPU time.</summary>
internal sealed record PeerReport(long BytesReceived, long Accepted, long ClosedEarly, TimeSpan CpuTime)
{
    public const string Prefix = "RECEIVED";

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Prefix} {BytesReceived} {Accepted} {ClosedEarly} {CpuTime.TotalMilliseconds:0}");

    public static PeerReport Parse(string line)
    {
        var f = line.Split(' ');
        return f.Length == 5 && f[0] == Prefix
            ? new PeerReport(Long(f[1]), Long(f[2]), Long(f[3]), TimeSpan.FromMilliseconds(Long(f[4])))
            : throw new InvalidOperationException($"The soak peer answered '{line}', not '{Prefix} bytes accepted closedEarly cpuMs'.");
    }

    private static long Long(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}

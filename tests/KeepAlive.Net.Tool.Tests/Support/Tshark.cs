namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>Wireshark's command-line analyser, the independent judge of which frames are keep-alive probes and answers.</summary>
internal static class Tshark
{
    public static bool Available => KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "--version").ExitCode == 0;

    /// <summary>
    /// One row per matching frame (give frame.number first: rows are told from tshark's warnings by it), the fields tab-separated (repeated fields comma-separated), with the port decoded as
    /// <paramref name="decodeAs"/> (e.g. "tcp.port==47001,http2": tshark does not guess HTTP/2 without TLS on a port).
    /// </summary>
    public static IReadOnlyList<string[]> Fields(string capture, string filter, string? decodeAs, params string[] fields)
    {
        string[] arguments = ["-r", capture, .. decodeAs is null ? Array.Empty<string>() : ["-d", decodeAs], "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "aggregator=,",
            .. fields.SelectMany(static f => new[] { "-e", f })];
        var (exitCode, output) = KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"tshark failed ({exitCode}): {output}");
        }

        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(static l => l.Length > 0 && char.IsAsciiDigit(l[0])).Select(static l => l.TrimEnd('\r').Split('\t'))];
    }

    public static IReadOnlyList<long> Frames(string capture, string filter)
    {
        var (exitCode, output) = KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "-r", capture, "-Y", filter, "-T", "fields", "-e", "frame.number");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"tshark failed ({exitCode}): {output}");
        }

        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(static line => long.TryParse(line, System.Globalization.CultureInfo.InvariantCulture, out _))
            .Select(static line => long.Parse(line, System.Globalization.CultureInfo.InvariantCulture))];
    }
}

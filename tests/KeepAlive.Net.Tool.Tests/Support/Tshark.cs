namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>Wireshark's command-line analyser, the independent judge of which frames are keep-alive probes and answers.</summary>
internal static class Tshark
{
    public static bool Available => KeepAlive.Net.Tests.TestSupport.NetworkNamespace.Run("tshark", "--version").ExitCode == 0;

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

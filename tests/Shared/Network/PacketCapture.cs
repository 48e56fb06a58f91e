using System.Diagnostics;
using System.Globalization;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// tcpdump running in a namespace, writing each packet as it arrives (-U); stopped with SIGINT so the file is complete.
/// <c>--immediate-mode</c> hands every packet to tcpdump at once: without it libpcap delivers packets in blocks up to a
/// second late, and the last packets before the stop (a kernel's RST as it gives up) were missing from the file.
/// </summary>
internal sealed class PacketCapture : IDisposable
{
    private readonly Process _process;

    private PacketCapture(Process process, string path) => (_process, Path) = (process, path);

    public string Path { get; }

    public static PacketCapture Start(string netns, string device, string path)
    {
        var process = NetworkNamespace.Start(netns, "tcpdump", "-i", device, "-U", "--immediate-mode", "-s", "0", "-w", path, "tcp");
        var capture = new PacketCapture(process, path);
        var ready = Stopwatch.StartNew();
        while (true)
        {
            var line = process.StandardError.ReadLine();
            if (line is null)
            {
                throw new InvalidOperationException("tcpdump ended before it started listening");
            }

            if (line.Contains("listening on", StringComparison.Ordinal) || ready.Elapsed > TimeSpan.FromSeconds(10))
            {
                break;
            }
        }

        return capture;
    }

    /// <summary>Stops tcpdump and waits until the file is written.</summary>
    public string Stop()
    {
        if (!_process.HasExited)
        {
            Thread.Sleep(300);
            NetworkNamespace.Run("kill", "-INT", _process.Id.ToString(CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill();
            }
        }

        return Path;
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}

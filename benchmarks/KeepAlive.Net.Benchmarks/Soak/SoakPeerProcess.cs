using System.Diagnostics;
using System.Globalization;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>Starts this program again in <c>soak-peer</c> mode and talks to it over standard input and output.</summary>
internal sealed class SoakPeerProcess : IDisposable
{
    private readonly Process _process;

    private SoakPeerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static SoakPeerProcess Start(SoakPeerReads reads)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SoakPeerProcess).Assembly.Location);
        }

        start.ArgumentList.Add("soak-peer");
        start.ArgumentList.Add(SoakCommand.Format(reads));
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the soak peer ({start.FileName}).");
        var line = process.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException($"The soak peer printed '{line}' instead of its port.");
        }

        return new SoakPeerProcess(process, int.Parse(line[5..], NumberStyles.Integer, CultureInfo.InvariantCulture));
    }

    /// <summary>Tells the peer how many bytes were sent, waits for it to read them and returns what it saw.</summary>
    public PeerReport Stop(long bytesSent)
    {
        _process.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STOP {bytesSent}"));
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The soak peer exited without a report.");
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        return PeerReport.Parse(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}

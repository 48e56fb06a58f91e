using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>The routed lab with tcpdump recording the client's link, for tests that bring their own server and client.</summary>
internal sealed class LabCapture : IDisposable
{
    private readonly PacketCapture _capture;

    private LabCapture(RoutedLab lab, PacketCapture capture) => (Lab, _capture) = (lab, capture);

    public RoutedLab Lab { get; }

    public string Path => _capture.Path;

    /// <summary>Builds the lab (a NAT forgetting idle flows when <paramref name="natIdleTimeoutSeconds"/> is given) and starts the capture.</summary>
    public static Task<LabCapture> StartAsync(string path, int? natIdleTimeoutSeconds = null)
    {
        TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");
        var lab = RoutedLab.Create(natIdleTimeoutSeconds);
        return Task.FromResult(new LabCapture(lab, lab.StartCapture(path)));
    }

    /// <summary>Stops the capture and runs <c>keepalive analyze --json</c> on it, logging tshark's reading and the tool's.</summary>
    public async Task<AnalyzeResult> AnalyzeAsync(ITestOutputHelper output, params string[] extra)
    {
        var file = _capture.Stop();
        var result = await AnalyzeResult.RunAsync(file, extra);
        output.WriteLine(NetworkNamespace.Run("tshark", "-r", file).Output);
        output.WriteLine(result.Root.ToString());
        return result;
    }

    public void Dispose()
    {
        _capture.Dispose();
        Lab.Dispose();
    }
}

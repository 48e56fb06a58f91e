using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>
/// One TCP connection between the routed lab's client and server namespaces, recorded by tcpdump on the client's link
/// from before the handshake: what every wire test of <c>analyze</c> starts from.
/// </summary>
internal sealed class WireConnection : IDisposable
{
    private readonly PacketCapture _capture;
    private readonly Socket _listener;

    private WireConnection(RoutedLab lab, PacketCapture capture, Socket listener, Socket client, Socket server) =>
        (Lab, _capture, _listener, Client, Server) = (lab, capture, listener, client, server);

    public RoutedLab Lab { get; }

    public Socket Client { get; }

    public Socket Server { get; }

    /// <summary>Builds the lab (a NAT forgetting idle flows when <paramref name="natIdleTimeoutSeconds"/> is given), starts the capture and connects.</summary>
    public static async Task<WireConnection> OpenAsync(string capturePath, TcpKeepAliveOptions? clientKeepAlive, int? natIdleTimeoutSeconds = null)
    {
        TestEnvironment.Require(Tshark.Available, "tshark is missing: apt-get install tshark");
        var lab = RoutedLab.Create(natIdleTimeoutSeconds);
        var capture = lab.StartCapture(capturePath);
        var listener = lab.Listen();
        var client = lab.CreateClientSocket();
        if (clientKeepAlive is not null)
        {
            client.ConfigureKeepAlive(clientKeepAlive);
        }

        var accept = listener.AcceptAsync();
        await client.ConnectAsync(RoutedLab.ServerEndPoint);
        var server = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return new WireConnection(lab, capture, listener, client, server);
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

    public string CapturePath => _capture.Path;

    public void Dispose()
    {
        _capture.Dispose();
        Server.Dispose();
        Client.Dispose();
        _listener.Dispose();
        Lab.Dispose();
    }
}

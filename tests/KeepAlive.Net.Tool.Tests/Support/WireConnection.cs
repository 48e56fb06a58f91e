using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tool.Tests.Support;

/// <summary>
/// One TCP connection between the routed lab's client and server namespaces, recorded by tcpdump on the client's link
/// from before the handshake: what most wire tests of <c>analyze</c> start from.
/// </summary>
internal sealed class WireConnection : IDisposable
{
    private readonly LabCapture _capture;
    private readonly Socket _listener;

    private WireConnection(LabCapture capture, Socket listener, Socket client, Socket server) =>
        (_capture, _listener, Client, Server) = (capture, listener, client, server);

    public RoutedLab Lab => _capture.Lab;

    public Socket Client { get; }

    public Socket Server { get; }

    public string CapturePath => _capture.Path;

    /// <summary>Builds the lab (a NAT forgetting idle flows when <paramref name="natIdleTimeoutSeconds"/> is given), starts the capture and connects.</summary>
    public static async Task<WireConnection> OpenAsync(string capturePath, TcpKeepAliveOptions? clientKeepAlive, int? natIdleTimeoutSeconds = null)
    {
        var capture = await LabCapture.StartAsync(capturePath, natIdleTimeoutSeconds);
        var listener = capture.Lab.Listen();
        var client = capture.Lab.CreateClientSocket();
        if (clientKeepAlive is not null)
        {
            client.ConfigureKeepAlive(clientKeepAlive);
        }

        var accept = listener.AcceptAsync();
        await client.ConnectAsync(RoutedLab.ServerEndPoint);
        var server = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return new WireConnection(capture, listener, client, server);
    }

    /// <inheritdoc cref="LabCapture.AnalyzeAsync"/>
    public Task<AnalyzeResult> AnalyzeAsync(ITestOutputHelper output, params string[] extra) => _capture.AnalyzeAsync(output, extra);

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        _listener.Dispose();
        _capture.Dispose();
    }
}

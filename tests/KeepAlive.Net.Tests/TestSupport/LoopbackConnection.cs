using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>A connected TCP pair on 127.0.0.1: a client socket and the server's accepted socket.</summary>
internal sealed class LoopbackConnection : IDisposable
{
    private LoopbackConnection(Socket client, Socket server) => (Client, Server) = (client, server);

    public Socket Client { get; }

    public Socket Server { get; }

    public static LoopbackConnection Open()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return new LoopbackConnection(client, listener.Accept());
    }

    /// <summary>Sends a few bytes each way and asserts they arrive: the connection still works.</summary>
    public void AssertCarriesDataBothWays()
    {
        Client.Connected.Should().BeTrue("a rejected call must not mark the connected socket as disconnected");
        RoundTrip(Client, Server, "ping"u8.ToArray());
        RoundTrip(Server, Client, "pong"u8.ToArray());
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }

    private static void RoundTrip(Socket from, Socket to, byte[] payload)
    {
        from.Send(payload).Should().Be(payload.Length);
        var buffer = new byte[payload.Length];
        var received = 0;
        to.ReceiveTimeout = 5000;
        while (received < payload.Length)
        {
            var n = to.Receive(buffer, received, payload.Length - received, SocketFlags.None);
            n.Should().BePositive("the peer must still receive data");
            received += n;
        }

        buffer.Should().Equal(payload);
    }
}

using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Benchmarks.Sockets;

/// <summary>A connected pair of TCP sockets on 127.0.0.1: a real kernel socket for option calls.</summary>
internal sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static LoopbackPair Connect()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return new LoopbackPair(client, listener.Accept());
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}

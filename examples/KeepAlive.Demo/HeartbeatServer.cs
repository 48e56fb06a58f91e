using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Demo;

/// <summary>The service behind the proxy: accepts connections and reads heartbeats until the connection ends.</summary>
internal sealed class HeartbeatServer : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public HeartbeatServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        new Thread(AcceptLoop) { IsBackground = true, Name = "server-accept" }.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Dispose() => _listener.Dispose();

    private static void Drain(Socket connection)
    {
        using (connection)
        {
            var buffer = new byte[256];
            try
            {
                while (connection.Receive(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
                // The proxy closed it.
            }
        }
    }

    private void AcceptLoop()
    {
        try
        {
            while (true)
            {
                var connection = _listener.Accept();
                new Thread(() => Drain(connection)) { IsBackground = true, Name = "server-connection" }.Start();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Shutting down.
        }
    }
}

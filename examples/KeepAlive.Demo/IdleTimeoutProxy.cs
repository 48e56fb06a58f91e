using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Demo;

/// <summary>
/// The customer's peer: a TCP proxy that closes any connection idle for longer than its idle timeout, like a
/// load balancer or NAT. It runs on its own threads, so the demo's thread-pool starvation does not affect it.
/// </summary>
internal sealed class IdleTimeoutProxy : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _upstream;
    private readonly TimeSpan _idleTimeout;
    private readonly List<ProxiedConnection> _connections = [];
    private readonly Lock _gate = new();
    private volatile bool _disposed;

    public IdleTimeoutProxy(IPEndPoint upstream, TimeSpan idleTimeout)
    {
        _upstream = upstream;
        _idleTimeout = idleTimeout;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        StartThread("proxy-accept", AcceptLoop);
        StartThread("proxy-idle-timer", IdleLoop);
    }

    /// <summary>Raised on the proxy's thread when it closes an idle connection: (client port, idle time).</summary>
    public event Action<int, TimeSpan>? ConnectionKilled;

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        lock (_gate)
        {
            foreach (var connection in _connections)
            {
                connection.Close();
            }
        }
    }

    private static void StartThread(string name, ThreadStart loop) => new Thread(loop) { IsBackground = true, Name = name }.Start();

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            server.Connect(_upstream);
            var connection = new ProxiedConnection(client, server);
            lock (_gate)
            {
                _connections.Add(connection);
            }

            StartThread("proxy-up", () => connection.Pump(client, server));
            StartThread("proxy-down", () => connection.Pump(server, client));
        }
    }

    private void IdleLoop()
    {
        while (!_disposed)
        {
            Thread.Sleep(20);
            lock (_gate)
            {
                foreach (var connection in _connections.Where(c => !c.Closed && c.IdleFor > _idleTimeout).ToList())
                {
                    var idle = connection.IdleFor;
                    var port = connection.ClientPort;
                    ConnectionKilled?.Invoke(port, idle); // first: whoever sees the close must find why (the row that shows KILLED)
                    connection.Close();
                }

                _connections.RemoveAll(c => c.Closed);
            }
        }
    }

    private sealed class ProxiedConnection(Socket client, Socket server)
    {
        private long _lastActivity = Stopwatch.GetTimestamp();

        public bool Closed { get; private set; }

        public int ClientPort { get; } = ((IPEndPoint)client.RemoteEndPoint!).Port;

        public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity));

        public void Pump(Socket from, Socket to)
        {
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = from.Receive(buffer)) > 0)
                {
                    Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());
                    to.Send(buffer, read, SocketFlags.None);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The other pump or the idle timer closed the connection.
            }

            Close();
        }

        public void Close()
        {
            if (Closed)
            {
                return;
            }

            Closed = true;
            client.Dispose();
            server.Dispose();
        }
    }
}

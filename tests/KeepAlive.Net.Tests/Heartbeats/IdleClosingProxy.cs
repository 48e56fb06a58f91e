using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a sink server that closes any connection on which the client sent
/// nothing for longer than the idle timeout, as a load balancer or NAT gateway does. Every socket is served by
/// dedicated blocking threads, so thread-pool starvation in the test cannot delay the proxy's own idle timer.
/// </summary>
internal sealed class IdleClosingProxy : IDisposable
{
    private readonly TcpListener _server = new(IPAddress.Loopback, 0);
    private readonly TcpListener _proxy = new(IPAddress.Loopback, 0);
    private readonly TimeSpan _idleTimeout;
    private readonly ConcurrentBag<Socket> _sockets = [];
    private volatile bool _disposed;

    public IdleClosingProxy(TimeSpan idleTimeout)
    {
        _idleTimeout = idleTimeout;
        _server.Start();
        _proxy.Start();
        StartThread(() => AcceptLoop(_server, Drain), "sink server");
        StartThread(() => AcceptLoop(_proxy, Forward), "idle-closing proxy");
    }

    public IPEndPoint EndPoint => (IPEndPoint)_proxy.LocalEndpoint;

    /// <summary>Client endpoints whose connection the proxy closed for idleness, with the idle time it saw.</summary>
    public ConcurrentDictionary<string, TimeSpan> ClosedForIdleness { get; } = new();

    /// <summary>The longest silence the proxy saw on each client connection.</summary>
    public ConcurrentDictionary<string, TimeSpan> LongestSilence { get; } = new();

    public Socket Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(EndPoint);
        _sockets.Add(socket);
        return socket;
    }

    public void Dispose()
    {
        _disposed = true;
        _proxy.Stop();
        _server.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private static void StartThread(Action action, string name) => new Thread(() => action()) { IsBackground = true, Name = name }.Start();

    private void AcceptLoop(TcpListener listener, Action<Socket> serve)
    {
        while (!_disposed)
        {
            Socket accepted;
            try
            {
                accepted = listener.AcceptSocket();
            }
            catch (Exception) when (_disposed)
            {
                return;
            }

            _sockets.Add(accepted);
            StartThread(() => serve(accepted), "proxy connection");
        }
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Forward(Socket client)
    {
        var key = client.RemoteEndPoint!.ToString()!;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        upstream.Connect((IPEndPoint)_server.LocalEndpoint);
        var buffer = new byte[1024];
        var last = Stopwatch.GetTimestamp();
        try
        {
            while (!_disposed)
            {
                var silent = Stopwatch.GetElapsedTime(last);
                LongestSilence.AddOrUpdate(key, silent, (_, old) => silent > old ? silent : old);
                if (silent > _idleTimeout)
                {
                    ClosedForIdleness[key] = silent;
                    client.Close();
                    return;
                }

                if (!client.Poll(TimeSpan.FromMilliseconds(10), SelectMode.SelectRead))
                {
                    continue;
                }

                var read = client.Receive(buffer);
                if (read == 0)
                {
                    return;
                }

                upstream.Send(buffer.AsSpan(0, read));
                last = Stopwatch.GetTimestamp();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}

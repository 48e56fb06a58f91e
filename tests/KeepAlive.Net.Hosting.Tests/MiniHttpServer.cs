using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>A loopback HTTP/1.1 server that answers every request with 200 "ok" and keeps connections open.</summary>
internal sealed class MiniHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    public MiniHttpServer()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public IReadOnlyList<Socket> Accepted
    {
        get
        {
            lock (_accepted)
            {
                return [.. _accepted];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ContinueWith(static _ => { }, TaskScheduler.Default);
        foreach (var socket in Accepted)
        {
            socket.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            lock (_accepted)
            {
                _accepted.Add(socket);
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[8192];
        var request = new StringBuilder();
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                while (request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var text = request.ToString();
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
                    var close = text[..end].Contains("Connection: close", StringComparison.OrdinalIgnoreCase);
                    request.Remove(0, end);
                    var response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n" + (close ? "Connection: close\r\n" : string.Empty) + "\r\nok";
                    await socket.SendAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                    if (close)
                    {
                        socket.Shutdown(SocketShutdown.Both);
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}

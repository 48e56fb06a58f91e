using System.Net;
using System.Net.Sockets;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Examples.Worker;

/// <summary>
/// The peer: a line echo server on 127.0.0.1. A <see cref="TcpListener"/> configured with the "default"
/// profile; on Linux and Windows accepted sockets inherit it, elsewhere each accepted socket is configured.
/// </summary>
public sealed partial class EchoServer(IKeepAliveProfiles profiles, ILogger<EchoServer> logger) : BackgroundService
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly TaskCompletionSource<IPEndPoint> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the address the server listens on, once it does.</summary>
    public Task<IPEndPoint> Endpoint => _endpoint.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listenerSettings = profiles.Configure(_listener.Server, KeepAliveProfileOptions.DefaultProfileName);
        _listener.Start();
        _endpoint.SetResult((IPEndPoint)_listener.LocalEndpoint);
        LogListening(logger, _listener.LocalEndpoint, listenerSettings);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(stoppingToken);
                if (!KeepAliveCapabilities.Current.AcceptedSocketsInheritListenerSettings)
                {
                    profiles.Configure(socket, KeepAliveProfileOptions.DefaultProfileName);
                }

                LogAccepted(logger, socket.RemoteEndPoint, socket.GetKeepAlive());
                _ = EchoAsync(socket, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _listener.Stop();
        }
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Echo server listening on {Endpoint}; listener keep-alive: {Settings}")]
    private static partial void LogListening(ILogger logger, EndPoint endpoint, KeepAliveSettings settings);

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted {Remote}; the accepted socket's keep-alive, read from the kernel: {Settings}")]
    private static partial void LogAccepted(ILogger logger, EndPoint? remote, KeepAliveSettings settings);
}

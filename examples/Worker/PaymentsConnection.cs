using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Examples.Worker;

/// <summary>
/// The long-lived client connection: a <see cref="TcpClient"/> configured with the "payments" profile,
/// which prints the effective settings read back from the kernel, then talks to the peer now and then.
/// </summary>
public sealed partial class PaymentsConnection(
    EchoServer server,
    IKeepAliveProfiles profiles,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<PaymentsConnection> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpoint = await server.Endpoint.WaitAsync(stoppingToken);
        using var client = new TcpClient();

        // Configure before connecting: a rejected option can then never break a live connection.
        var settings = profiles.Configure(client.Client, "payments");
        await client.ConnectAsync(endpoint, stoppingToken);
        LogConnected(logger, endpoint.ToString(), settings, settings.DeadPeerDetectionTime);

        var stream = client.GetStream();
        var buffer = new byte[1024];
        var stopAt = options.Value.RunFor > TimeSpan.Zero ? DateTimeOffset.UtcNow + options.Value.RunFor : DateTimeOffset.MaxValue;
        try
        {
            for (var n = 1; DateTimeOffset.UtcNow < stopAt && !stoppingToken.IsCancellationRequested; n++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"payment {n}\n"), stoppingToken);
                var read = await stream.ReadAsync(buffer, stoppingToken);
                LogEcho(logger, Encoding.ASCII.GetString(buffer, 0, read).TrimEnd());
                await Task.Delay(options.Value.MessageInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        LogDone(logger, client.GetKeepAlive());
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Endpoint} with the 'payments' profile; kernel settings: {Settings}; a dead peer is detected after {DeadPeer}")]
    private static partial void LogConnected(ILogger logger, string endpoint, KeepAliveSettings settings, TimeSpan? deadPeer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer echoed '{Echo}'")]
    private static partial void LogEcho(ILogger logger, string echo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping; the connection's keep-alive is still {Settings}")]
    private static partial void LogDone(ILogger logger, KeepAliveSettings settings);
}

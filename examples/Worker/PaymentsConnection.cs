using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Examples.Worker;

/// <summary>
/// The long-lived client connection: a <see cref="TcpClient"/> configured with the "payments" profile's OS
/// keep-alive, plus the profile's application heartbeat from the host's <see cref="IHeartbeatScheduler"/>
/// (dedicated threads, lateness measured, peer declared dead after Heartbeat:Timeout of silence).
/// </summary>
public sealed partial class PaymentsConnection(
    EchoServer server,
    IKeepAliveProfiles profiles,
    IHeartbeatScheduler scheduler,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<PaymentsConnection> logger) : BackgroundService
{
    private static readonly byte[] HeartbeatMessage = "heartbeat\n"u8.ToArray();
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <inheritdoc />
    public override void Dispose()
    {
        _writeLock.Dispose();
        base.Dispose();
    }

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
        var profile = profiles.GetProfile("payments");
        using var heartbeat = scheduler.Register(profile.Heartbeat, context => WriteAsync(stream, HeartbeatMessage, context.CancellationToken));
        // The scheduler logs these too; an application would reconnect on PeerDead and alert on Delayed.
        heartbeat.PeerDead += (_, e) => LogPeerDead(logger, e.SilentFor, e.Reason);
        heartbeat.Delayed += (_, e) => LogDelayed(logger, e.Lateness.TotalMilliseconds, e.Cause);
        LogHeartbeat(logger, profile.Heartbeat.Mode, profile.Heartbeat.Interval, profile.Heartbeat.PeerIdleTimeout);

        var reader = ReadAsync(stream, heartbeat, stoppingToken);
        var stopAt = options.Value.RunFor > TimeSpan.Zero ? DateTimeOffset.UtcNow + options.Value.RunFor : DateTimeOffset.MaxValue;
        try
        {
            for (var n = 1; DateTimeOffset.UtcNow < stopAt && !stoppingToken.IsCancellationRequested; n++)
            {
                await WriteAsync(stream, Encoding.ASCII.GetBytes($"payment {n}\n"), stoppingToken);
                heartbeat.MarkActivity(); // we just sent data: the next heartbeat can wait (HeartbeatMode.WhenIdle)
                await Task.Delay(options.Value.MessageInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var statistics = heartbeat.GetStatistics();
        LogDone(logger, statistics.Sent, statistics.MaxLateness.TotalMilliseconds, statistics.Delayed, client.GetKeepAlive());
        client.Client.Shutdown(SocketShutdown.Both);
        await reader;
        lifetime.StopApplication();
    }

    private async ValueTask WriteAsync(NetworkStream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await stream.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadAsync(NetworkStream stream, HeartbeatRegistration heartbeat, CancellationToken cancellationToken)
    {
        using var lines = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        try
        {
            while (await lines.ReadLineAsync(cancellationToken) is { } line)
            {
                heartbeat.MarkPeerActivity(); // the peer is alive: its liveness timer restarts
                LogEcho(logger, line);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Endpoint} with the 'payments' profile; kernel settings: {Settings}; a dead peer is detected after {DeadPeer}")]
    private static partial void LogConnected(ILogger logger, string endpoint, KeepAliveSettings settings, TimeSpan? deadPeer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Heartbeat registered: {Mode} every {Interval}, peer idle timeout {PeerIdleTimeout}")]
    private static partial void LogHeartbeat(ILogger logger, HeartbeatMode mode, TimeSpan interval, PeerIdleTimeout? peerIdleTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer echoed '{Echo}'")]
    private static partial void LogEcho(ILogger logger, string echo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat {LatenessMs:0.#} ms late, cause {Cause}")]
    private static partial void LogDelayed(ILogger logger, double latenessMs, HeartbeatDelayCause cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Peer declared dead after {SilentFor} of silence: {Reason}")]
    private static partial void LogPeerDead(ILogger logger, TimeSpan silentFor, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping after {Sent} heartbeats (max lateness {MaxLatenessMs:0.###} ms, {Delayed} delayed); the connection's keep-alive is still {Settings}")]
    private static partial void LogDone(ILogger logger, long sent, double maxLatenessMs, long delayed, KeepAliveSettings settings);
}

using System.Net.Sockets;
using System.Text;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Examples.Worker;

/// <summary>
/// The long-lived client connection: a <see cref="TcpClient"/> configured with the "payments" profile's OS
/// keep-alive, plus the profile's application heartbeat from the host's <see cref="IHeartbeatScheduler"/>
/// (dedicated threads, lateness measured, peer declared dead after Heartbeat:Timeout of silence), sent through a
/// <see cref="HeartbeatStream"/>: the application's writes postpone it, its reads keep the peer alive, and it never
/// lands inside a message. At the end the keep-alive health check reports what it saw.
/// </summary>
public sealed partial class PaymentsConnection(
    EchoServer server,
    IKeepAliveProfiles profiles,
    IHeartbeatScheduler scheduler,
    HealthCheckService health,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<PaymentsConnection> logger) : BackgroundService
{
    private static readonly byte[] HeartbeatMessage = "heartbeat\n"u8.ToArray();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpoint = await server.Endpoint.WaitAsync(stoppingToken);
        using var client = new TcpClient();

        // Configure once connected: set before a connect to a host name with several addresses, TCP_USER_TIMEOUT (an option
        // .NET does not track) would stop .NET from trying the next address when the first refuses.
        await client.ConnectAsync(endpoint, stoppingToken);
        var settings = profiles.Configure(client.Client, "payments");
        LogConnected(logger, endpoint.ToString(), settings, settings.DeadPeerDetectionTime is { } dead ? KeepAliveDuration.Format(dead) : "an unknown time (keep-alive off, or a value not read back)");

        // Every write marks activity and every read marks peer activity: no MarkActivity/MarkPeerActivity by hand.
        await using var stream = new HeartbeatStream(client.GetStream());
        var profile = profiles.GetProfile("payments");
        var heartbeat = stream.RegisterHeartbeat(scheduler, HeartbeatMessage, profile.Heartbeat); // disposed with the stream
        // The scheduler logs these too; an application would reconnect on PeerDead and alert on Delayed.
        heartbeat.PeerDead += (_, e) => LogPeerDead(logger, Measured(e.SilentFor), e.Reason);
        heartbeat.Delayed += (_, e) => LogDelayed(logger, Measured(e.Lateness), e.Cause);
        LogHeartbeat(logger, profile.Heartbeat.Mode, KeepAliveDuration.Format(profile.Heartbeat.Interval), profile.Heartbeat.PeerIdleTimeout);

        var reader = ReadAsync(stream, stoppingToken);
        var stopAt = options.Value.RunFor > TimeSpan.Zero ? DateTimeOffset.UtcNow + options.Value.RunFor : DateTimeOffset.MaxValue;
        try
        {
            for (var n = 1; DateTimeOffset.UtcNow < stopAt && !stoppingToken.IsCancellationRequested; n++)
            {
                // A message written in two writes: the scope keeps the heartbeat (and other writers) out of its middle.
                await using (var message = await stream.BeginMessageAsync(stoppingToken))
                {
                    await message.Stream.WriteAsync(Encoding.ASCII.GetBytes($"payment {n}"), stoppingToken);
                    await message.Stream.WriteAsync("\n"u8.ToArray(), stoppingToken);
                }

                await Task.Delay(options.Value.MessageInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Stop the heartbeat before counting: while it runs, the count read here is behind the one the health check and the
        // metrics read a moment later (a heartbeat is counted once its send has returned, after the peer may have echoed it).
        // No heartbeat starts after Dispose; one being written finishes, so wait for the write path before reading.
        heartbeat.Dispose(); // and before the shutdown: a heartbeat into the connection being shut down would fail, and declare the peer dead
        await (await stream.BeginMessageAsync(CancellationToken.None)).DisposeAsync();
        var statistics = heartbeat.GetStatistics();
        LogDone(logger, statistics.Sent, Measured(statistics.MaxLateness), statistics.Delayed, client.GetKeepAlive());
        var report = await health.CheckHealthAsync(CancellationToken.None);
        foreach (var (name, entry) in report.Entries)
        {
            LogHealth(logger, name, entry.Status, entry.Description, string.Join(", ", entry.Data.Select(static d => $"{d.Key}={d.Value}")));
        }

        client.Client.Shutdown(SocketShutdown.Both);
        await reader;
        lifetime.StopApplication();
    }

    /// <summary>A measured duration (a lateness, a silence) as the library writes one: its duration form, to the millisecond ("40ms", "5s12ms").</summary>
    internal static string Measured(TimeSpan value) => KeepAliveDuration.Format(value, TimeSpan.FromMilliseconds(1));

    private async Task ReadAsync(HeartbeatStream stream, CancellationToken cancellationToken)
    {
        using var lines = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        try
        {
            while (await lines.ReadLineAsync(cancellationToken) is { } line)
            {
                LogEcho(logger, line);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Endpoint} with the 'payments' profile; kernel settings: {Settings}; a dead peer is detected after {DeadPeer}")]
    private static partial void LogConnected(ILogger logger, string endpoint, KeepAliveSettings settings, string deadPeer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Heartbeat registered: {Mode} every {Interval}, peer idle timeout {PeerIdleTimeout}")]
    private static partial void LogHeartbeat(ILogger logger, HeartbeatMode mode, string interval, PeerIdleTimeout? peerIdleTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer echoed '{Echo}'")]
    private static partial void LogEcho(ILogger logger, string echo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat {Lateness} late, cause {Cause}")]
    private static partial void LogDelayed(ILogger logger, string lateness, HeartbeatDelayCause cause);

    [LoggerMessage(Level = LogLevel.Error, Message = "Peer declared dead after {SilentFor} of silence: {Reason}")]
    private static partial void LogPeerDead(ILogger logger, string silentFor, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Health check '{Name}': {Status}, {Description} ({Data})")]
    private static partial void LogHealth(ILogger logger, string name, HealthStatus status, string? description, string data);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping after {Sent} heartbeats (max lateness {MaxLateness}, {Delayed} delayed); the connection's keep-alive is still {Settings}")]
    private static partial void LogDone(ILogger logger, long sent, string maxLateness, long delayed, KeepAliveSettings settings);
}

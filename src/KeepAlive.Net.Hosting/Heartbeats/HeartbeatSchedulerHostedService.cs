using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Heartbeats;

/// <summary>Stops the heartbeat scheduler with the host, so no heartbeat is sent after <see cref="IHostedService.StopAsync"/>.</summary>
internal sealed class HeartbeatSchedulerHostedService(HeartbeatSchedulerHost host) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => host.DisposeAsync().AsTask();
}

using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>Creates the telemetry listener when the host starts, so the health check has heard everything since then.</summary>
internal sealed class KeepAliveTelemetryListenerService(KeepAliveTelemetryListener listener) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(listener);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>The options name of one keep-alive health check registration, so its telemetry listener starts with the host.</summary>
/// <param name="OptionsName">The name of its <see cref="KeepAliveHealthCheckOptions"/> and the key of its listener.</param>
internal sealed record KeepAliveHealthCheckRegistration(string OptionsName);

/// <summary>
/// Creates each registration's telemetry listener when the host starts, so its health check has heard everything since then,
/// and watches the thresholds' sections for changes the checks will not apply.
/// </summary>
internal sealed class KeepAliveTelemetryListenerService(IServiceProvider services, IEnumerable<KeepAliveHealthCheckRegistration> registrations, IEnumerable<HealthThresholdsReload> reloads) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            GC.KeepAlive(services.GetRequiredKeyedService<KeepAliveTelemetryListener>(registration.OptionsName));
        }

        foreach (var reload in reloads)
        {
            reload.Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

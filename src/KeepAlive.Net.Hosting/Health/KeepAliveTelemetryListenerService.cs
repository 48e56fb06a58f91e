using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>One keep-alive health check registration, so its telemetry listener starts with the host.</summary>
/// <param name="Name">The health check's name, e.g. <c>keepalive</c>.</param>
/// <param name="OptionsName">The name of its <see cref="KeepAliveHealthCheckOptions"/> and the key of its listener.</param>
internal sealed record KeepAliveHealthCheckRegistration(string Name, string OptionsName);

/// <summary>
/// Creates each registration's telemetry listener when the host starts, so its health check has heard everything since then,
/// and watches the thresholds' sections for changes the checks will not apply.
/// </summary>
internal sealed class KeepAliveTelemetryListenerService(IServiceProvider services, IEnumerable<KeepAliveHealthCheckRegistration> registrations, IEnumerable<HealthThresholdsReload> reloads) : IHostedService, IDisposable
{
    private List<IDisposable> _subscriptions = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            GC.KeepAlive(services.GetRequiredKeyedService<KeepAliveTelemetryListener>(registration.OptionsName));
        }

        var watched = reloads.ToList();
        foreach (var reload in watched)
        {
            reload.Start();
        }

        // Checks reading one section (each under its own name) see the same change: said once per path at each reload of a
        // configuration, which is watched once however many of its sections the checks read.
        _subscriptions = ConfigurationReloads.Watch(watched, static r => r.Section, static reloaded =>
        {
            foreach (var reload in reloaded.DistinctBy(static r => r.Path, StringComparer.OrdinalIgnoreCase))
            {
                reload.Check();
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscriptions.ForEach(static s => s.Dispose());
}

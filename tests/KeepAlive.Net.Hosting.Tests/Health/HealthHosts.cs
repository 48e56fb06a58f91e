using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>Hosts with keep-alive profiles and the keep-alive health check, and a way to read its entry.</summary>
internal static class HealthHosts
{
    /// <summary>A profile whose heartbeat beats every <paramref name="interval"/> behind a peer that forgets idle flows after <paramref name="peerIdle"/>.</summary>
    public static void Profile(IServiceCollection services, string name, TimeSpan interval, TimeSpan peerIdle) =>
        services.AddKeepAlive(name, o =>
        {
            o.Tcp.IdleTime = TimeSpan.FromSeconds(1);
            o.Tcp.Interval = TimeSpan.FromSeconds(1);
            o.Tcp.ProbeCount = 1;
            o.Heartbeat.Interval = interval;
            o.Heartbeat.PeerIdleTimeout = peerIdle;
        });

    public static async Task<IHost> StartAsync(Action<IServiceCollection> configure)
    {
        var host = TestHosts.Build("{}", (services, _) => configure(services));
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        return report.Entries["keepalive"];
    }

    /// <summary>A DriftMonitor for a profile's heartbeat, recording into the host's meter factory.</summary>
    public static DriftMonitor Monitor(IHost host, string profile, TimeProvider? time = null) =>
        new(host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile(profile).Heartbeat, time, null, host.Services.GetRequiredService<IMeterFactory>());
}

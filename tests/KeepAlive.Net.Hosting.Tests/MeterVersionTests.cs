using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// The hosting package's instruments are on the same <c>KeepAlive.Net</c> meter as the heartbeat ones, with the package's
/// version, in a container with <c>AddMetrics()</c> and without.
/// </summary>
public sealed class MeterVersionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Instruments_OfProfilesAndHeartbeats_AreOnOneMeterWithThePackageVersion(bool addMetrics)
    {
        var expected = typeof(HeartbeatScheduler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KeepAlive:Profiles:payments:Tcp:IdleTime"] = "30s" }).Build();
        var services = new ServiceCollection();
        if (addMetrics)
        {
            services.AddMetrics();
        }

        using var provider = services.AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();
        var factory = provider.GetService<IMeterFactory>();
        var meters = new ConcurrentDictionary<string, Meter>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "KeepAlive.Net" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    meters[instrument.Name] = instrument.Meter;
                }
            },
        };
        listener.Start();

        provider.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
        using var registration = provider.GetRequiredService<IHeartbeatScheduler>().Register(new HeartbeatOptions { Name = "payments" }, static _ => ValueTask.CompletedTask);

        meters.Should().ContainKeys("keepalive.profile.reload.rejected", "keepalive.heartbeat.lateness");
        meters.Values.Should().AllSatisfy(m => m.Version.Should().Be(expected, "{0} reports the package's informational version", m.Name));
        if (addMetrics)
        {
            meters.Values.Distinct().Should().ContainSingle("the container's meter factory gives both packages one meter");
        }
    }
}

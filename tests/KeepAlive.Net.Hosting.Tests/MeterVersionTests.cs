using System.Diagnostics.Metrics;
using System.Reflection;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeepAlive.Net.Hosting.Tests;

/// <summary>
/// The hosting package's instruments are on the same <c>KeepAlive.Net</c> meter as the heartbeat ones, with the package's
/// version, in a container with <c>AddMetrics()</c> and without. The container's meters are the ones its own profile and
/// heartbeat measured on, under a name no other test uses: without a meter factory every container's meter has no scope, so
/// a meter is not told apart by its name, version or scope from those of the tests running in parallel.
/// </summary>
public sealed class MeterVersionTests
{
    // How long the test waits for the container's first heartbeat (100 ms after it is registered on an idle machine); the bound
    // only ends a wait that would never succeed, generous for a loaded 2-core machine, and a missing measurement then fails the
    // assertions below by name.
    private static readonly TimeSpan MeasuredWithin = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Instruments_OfProfilesAndHeartbeats_AreOnOneMeterWithThePackageVersion(bool addMetrics)
    {
        var expected = typeof(HeartbeatScheduler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var name = $"payments{Guid.NewGuid():N}"; // the profile's and the heartbeat's: the tag only this container measures with
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"KeepAlive:Profiles:{name}:Tcp:IdleTime"] = "30s" }).Build();
        var services = new ServiceCollection();
        if (addMetrics)
        {
            services.AddMetrics();
        }

        using var measured = new MeasuredMeters(KeepAliveMetricNames.MeterName, name, KeepAliveMetricNames.ReloadRejected, KeepAliveMetricNames.Lateness);
        using var provider = services.AddKeepAlive(configuration.GetSection("KeepAlive")).BuildServiceProvider();

        provider.GetRequiredService<IKeepAliveProfiles>().GetProfile(name);
        configuration[$"KeepAlive:Profiles:{name}:Tcp:IdleTime"] = "-00:00:01";
        configuration.Reload(); // refused: measured on the profile instruments' meter
        using var registration = provider.GetRequiredService<IHeartbeatScheduler>().Register(
            new HeartbeatOptions { Name = name, Interval = TimeSpan.FromMilliseconds(100) }, static _ => ValueTask.CompletedTask);
        var meters = await measured.MetersAsync(MeasuredWithin, TestContext.Current.CancellationToken);

        meters.Should().ContainKeys([KeepAliveMetricNames.ReloadRejected, KeepAliveMetricNames.Lateness], "the container's refused reload and heartbeat are measured on its meters");
        meters.Values.Should().AllSatisfy(m => m.Should().ContainSingle("the container measures each instrument on one meter"));
        var containers = meters.Values.SelectMany(static m => m).Distinct().ToList();
        containers.Should().AllSatisfy(m => m.Version.Should().Be(expected, "the container's meter reports the package's informational version"));
        if (addMetrics)
        {
            var factory = provider.GetRequiredService<IMeterFactory>();
            containers.Should().ContainSingle("the container's meter factory gives both packages one meter")
                .Which.Scope.Should().BeSameAs(factory);
        }
        else
        {
            containers.Should().AllSatisfy(static m => m.Scope.Should().BeNull("without a meter factory each package creates a meter of its own"));
        }
    }
}

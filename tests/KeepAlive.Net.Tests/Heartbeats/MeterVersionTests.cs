using System.Reflection;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// The <c>KeepAlive.Net</c> meter carries the package's version (OpenTelemetry exports it as the instrumentation scope's
/// version), so a dashboard can tell which release recorded a lateness: through <see cref="IMeterFactory"/> and without one.
/// The monitor's meter is the one it measured on, under a name no other test uses: without a factory every meter has no
/// scope, so it is not told apart by its name, version or scope from those of the tests running in parallel.
/// </summary>
public sealed class MeterVersionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Instruments_WithOrWithoutAMeterFactory_AreOnAMeterWithThePackageVersion(bool withFactory)
    {
        var expected = typeof(HeartbeatScheduler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        expected.Should().NotBeNullOrEmpty();
        var name = $"db{Guid.NewGuid():N}";
        using var telemetry = new TestTelemetry();
        using var measured = new MeasuredMeters(KeepAliveMetricNames.MeterName, name, KeepAliveMetricNames.Lateness);

        using (var monitor = new DriftMonitor(new HeartbeatOptions { Name = name }, meterFactory: withFactory ? telemetry : null))
        {
            monitor.RecordSentNow(TimeProvider.System.GetTimestamp()); // measured on the calling thread: no wait
        }

        var meters = await measured.MetersAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
        meters.Should().ContainKey(KeepAliveMetricNames.Lateness, "the monitor's heartbeat is measured on its meter");
        var meter = meters[KeepAliveMetricNames.Lateness].Should().ContainSingle("the monitor measures on one meter").Subject;
        meter.Version.Should().Be(expected, "the monitor's meter reports the package's informational version");
        meter.Scope.Should().BeSameAs(withFactory ? telemetry : null, "the meter is the factory's when there is one, else the monitor's own");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// The <c>KeepAlive.Net</c> meter carries the package's version (OpenTelemetry exports it as the instrumentation scope's
/// version), so a dashboard can tell which release recorded a lateness: through <see cref="IMeterFactory"/> and without one.
/// </summary>
public sealed class MeterVersionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Instruments_WithOrWithoutAMeterFactory_AreOnAMeterWithThePackageVersion(bool withFactory)
    {
        var expected = typeof(HeartbeatScheduler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        expected.Should().NotBeNullOrEmpty();
        using var telemetry = new TestTelemetry();
        var versions = new ConcurrentDictionary<string, string?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "KeepAlive.Net" && (withFactory ? ReferenceEquals(instrument.Meter.Scope, telemetry) : instrument.Meter.Scope is null))
                {
                    versions[instrument.Name] = instrument.Meter.Version;
                }
            },
        };
        listener.Start();

        using var monitor = new DriftMonitor(new HeartbeatOptions { Name = "db" }, meterFactory: withFactory ? telemetry : null);

        versions.Should().ContainKey("keepalive.heartbeat.lateness");
        versions.Values.Should().AllBe(expected, "every instrument of the meter reports the package's informational version");
    }
}

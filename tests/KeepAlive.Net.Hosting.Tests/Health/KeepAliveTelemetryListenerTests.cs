using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
using KeepAlive.Net.Hosting.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>Each instrument the health check's listener listens to moves its own counter of the window, and only that one.</summary>
public sealed class KeepAliveTelemetryListenerTests
{
    [Fact]
    public void Listener_OneMeasurementOfEachInstrument_MovesItsOwnCounterAndNoOtherInstrumentsOne()
    {
        // The listener sent every long measurement that was not blocked or overdue to the dead-peer count: an instrument
        // added to Instruments without a handler of its own would have been counted as dead peers, failing the check.
        var moved = new Dictionary<string, string[]>();
        foreach (var instrument in KeepAliveTelemetryListener.Instruments)
        {
            using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var meters = services.GetRequiredService<IMeterFactory>();
            using var listener = new KeepAliveTelemetryListener(Options.Create(new KeepAliveHealthCheckOptions()), null, meters);
            using var meter = meters.Create(KeepAliveMetricNames.MeterName);
            var tag = new KeyValuePair<string, object?>(KeepAliveMetricNames.NameTag, "probe");
            if (instrument == KeepAliveMetricNames.Lateness)
            {
                meter.CreateHistogram<double>(instrument).Record(0.5, tag);
            }
            else
            {
                meter.CreateCounter<long>(instrument).Add(1, tag);
            }

            moved[instrument] = Counters(listener.Read("probe")).Where(static c => c.Value != 0).Select(static c => c.Key).ToArray();
        }

        moved.Where(static m => m.Value.Length == 0).Select(static m => m.Key).Should().BeEmpty("each instrument the listener listens to has a handler that moves a counter of the window");
        moved.SelectMany(static m => m.Value.Select(c => (Counter: c, Instrument: m.Key))).GroupBy(static c => c.Counter)
            .Where(static g => g.Count() > 1).Select(static g => $"{g.Key}: {string.Join(", ", g.Select(static c => c.Instrument))}")
            .Should().BeEmpty("no two instruments move one counter (an instrument without a handler of its own must not count as another)");
    }

    private static Dictionary<string, double> Counters(RecentHeartbeats read) => new()
    {
        [nameof(read.Heartbeats)] = read.Heartbeats,
        [nameof(read.PeersDead)] = read.PeersDead,
        [nameof(read.SendsBlocked)] = read.SendsBlocked,
        [nameof(read.HeartbeatsOverdue)] = read.HeartbeatsOverdue,
    };
}

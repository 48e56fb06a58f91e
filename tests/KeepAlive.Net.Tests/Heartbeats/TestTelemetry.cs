using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>A logger factory writing to one FakeLogCollector, and a meter factory whose meters are scoped to this instance.</summary>
internal sealed class TestTelemetry : ILoggerFactory, IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public FakeLogCollector Logs { get; } = new();

    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct => new(this, "KeepAlive.Net", instrument);

    public IReadOnlyList<FakeLogRecord> LogsWithId(int eventId) => Logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();

    public ILogger CreateLogger(string categoryName) => new FakeLogger(Logs, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public Meter Create(MeterOptions options)
    {
        lock (_meters)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(meter);
            return meter;
        }
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _meters.ForEach(m => m.Dispose());
        }
    }
}

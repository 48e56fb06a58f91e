using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace KeepAlive.Net.Examples.Worker;

/// <summary>
/// Listens to the <c>KeepAlive.Net</c> meter, as an OpenTelemetry exporter or <c>dotnet-counters monitor -n Worker
/// --counters KeepAlive.Net</c> would, and prints a summary of the heartbeat metrics when the host stops.
/// </summary>
public sealed class HeartbeatMetricsPrinter : IHostedService, IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Count, double Sum, double Max)> _totals = [];

    /// <summary>Initializes a new instance of the <see cref="HeartbeatMetricsPrinter"/> class.</summary>
    public HeartbeatMetricsPrinter()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == "KeepAlive.Net")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(instrument, value));
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Console.WriteLine("Heartbeat metrics (meter KeepAlive.Net):");
            foreach (var (name, (count, sum, max)) in _totals.OrderBy(static t => t.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(name.EndsWith("lateness", StringComparison.Ordinal) || name.EndsWith("duration", StringComparison.Ordinal)
                    ? FormattableString.Invariant($"  {name,-40} {count,5} samples, mean {PaymentsConnection.Measured(TimeSpan.FromSeconds(sum / count))}, max {PaymentsConnection.Measured(TimeSpan.FromSeconds(max))}")
                    : FormattableString.Invariant($"  {name,-40} {sum,5}"));
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value)
    {
        lock (_lock)
        {
            var (count, sum, max) = _totals.GetValueOrDefault(instrument.Name);
            _totals[instrument.Name] = (count + 1, sum + value, Math.Max(max, value));
        }
    }
}

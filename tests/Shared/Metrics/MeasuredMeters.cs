using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// The meters one test's own objects measured on: of the instruments named here on meters named <c>meterName</c>, those that
/// recorded a measurement carrying a tag of the test's own value (a heartbeat or profile name no other test uses). A meter
/// created without an <see cref="IMeterFactory"/> has no scope to tell whose it is, and the tests running in parallel publish
/// instruments of the same names on meters of the same name and version; only a measurement of the test's own objects tells
/// its meter from theirs (shared by the test projects as a linked file).
/// </summary>
internal sealed class MeasuredMeters : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Meter, byte>> _measured = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private readonly string _tagValue;
    private readonly string[] _instrumentNames;

    public MeasuredMeters(string meterName, string tagValue, params string[] instrumentNames)
    {
        _tagValue = tagValue;
        _instrumentNames = instrumentNames;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrumentNames.Contains(instrument.Name, StringComparer.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, _, tags, state) => ((MeasuredMeters)state!).Measured(instrument, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, _, tags, state) => ((MeasuredMeters)state!).Measured(instrument, tags));
        _listener.Start();
    }

    /// <summary>
    /// The meters each instrument named here recorded the test's measurements on, once each has one or
    /// <paramref name="within"/> has passed (the bound only ends a wait that would never succeed: a missing instrument is then
    /// missing from the result, for the test's assertion to name).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyCollection<Meter>>> MetersAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.StartNew();
        while (!_instrumentNames.All(_measured.ContainsKey) && waiting.Elapsed < within)
        {
            await Task.Delay(20, cancellationToken);
        }

        return _measured.ToDictionary(static m => m.Key, static m => (IReadOnlyCollection<Meter>)[.. m.Value.Keys], StringComparer.Ordinal);
    }

    public void Dispose() => _listener.Dispose();

    private void Measured(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Value is string value && value == _tagValue)
            {
                _measured.GetOrAdd(instrument.Name, static _ => new())[instrument.Meter] = 0;
                return;
            }
        }
    }
}

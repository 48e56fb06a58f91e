using System.Diagnostics.Metrics;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// The library's own lateness histogram (<c>keepalive.heartbeat.lateness</c>: from each heartbeat's due time, after jitter
/// and spread), collected with a <see cref="MeterListener"/> beside the benchmark's tracker (which measures from the
/// registration's phase, so it also shows the spread).
/// </summary>
internal sealed class LibraryLateness : IDisposable
{
    /// <summary>The first part of a run, apart from the rest: a burst's first round, its registrations and first sends fall there.</summary>
    public static readonly TimeSpan FirstRound = TimeSpan.FromSeconds(2);

    private static readonly long FirstRoundTicks = (long)(FirstRound.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private readonly MeterListener _listener = new();
    private long _started;
    private volatile bool _recording;

    public LibraryLateness()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "KeepAlive.Net" && instrument.Name == "keepalive.heartbeat.lateness")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (_recording)
            {
                var micros = (long)(seconds * 1_000_000);
                Histogram.Record(micros);
                (System.Diagnostics.Stopwatch.GetTimestamp() - _started < FirstRoundTicks ? First : Later).Record(micros);
            }
        });
        _listener.Start();
        new LatenessHistogram().Record(0); // compiles the callback's path before the measured heartbeats
    }

    public LatenessHistogram Histogram { get; } = new();

    /// <summary>Gets the heartbeats of the first two seconds (a burst's first round falls there).</summary>
    public LatenessHistogram First { get; } = new();

    /// <summary>Gets the heartbeats after the first two seconds.</summary>
    public LatenessHistogram Later { get; } = new();

    public void Start()
    {
        _started = System.Diagnostics.Stopwatch.GetTimestamp();
        _recording = true;
    }

    public void Dispose() => _listener.Dispose();
}

using System.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// Measures one contender's heartbeats against the schedule each registration promised: beats due at
/// start + k × interval. A beat serves the oldest unserved due time and its lateness is
/// (callback start − that due time) on the monotonic <see cref="Stopwatch"/> clock; due times it slept
/// through count as missed, not as extra samples. A beat more than half an interval early is a catch-up
/// burst. At <see cref="Close"/>, a due time still unserved is recorded with its lateness so far, so a
/// starved timer that never fires cannot hide. A tracker created with a measured window records and counts
/// nothing until <see cref="StartWindow"/>, and from then on only due times at or after it, so a ramp and a
/// warm-up can run before the window.
/// </summary>
internal sealed class LatenessTracker
{
    private readonly long[] _start;
    private readonly long[] _nextDue;
    private readonly long _interval;
    private long _bursts;
    private long _windowStart;
    private int _closed;

    public LatenessTracker(int registrations, TimeSpan interval, bool measuredWindow = false)
    {
        _windowStart = measuredWindow ? long.MaxValue : 0;
        _start = new long[registrations];
        _nextDue = new long[registrations];
        _interval = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    }

    public LatenessHistogram Histogram { get; } = new();

    public int Registrations => _start.Length;

    /// <summary>Marks registration <paramref name="index"/> as created now: its first beat is due one interval later.</summary>
    public void Start(int index)
    {
        var now = Stopwatch.GetTimestamp();
        _start[index] = now;
        Volatile.Write(ref _nextDue[index], now + _interval);
    }

    /// <summary>Opens the measured window: from now on, only due times at or after <paramref name="timestamp"/> are recorded and counted as due.</summary>
    public void StartWindow(long timestamp) => Volatile.Write(ref _windowStart, timestamp);

    /// <summary>Records a heartbeat callback of registration <paramref name="index"/> starting now.</summary>
    public void Beat(int index)
    {
        var now = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        while (true)
        {
            var due = Volatile.Read(ref _nextDue[index]);
            if (now < due - (_interval / 2))
            {
                Interlocked.Increment(ref _bursts);
                return;
            }

            var next = PeriodicSchedule.NextDue(due, now, _interval);
            if (Interlocked.CompareExchange(ref _nextDue[index], next, due) == due)
            {
                if (due >= Volatile.Read(ref _windowStart))
                {
                    Histogram.RecordTicks(now - due);
                }

                return;
            }
        }
    }

    /// <summary>Stops measuring: later callbacks are ignored; unserved due times are recorded as late as they are now.</summary>
    public TrackerTotals Close()
    {
        var now = Stopwatch.GetTimestamp();
        Volatile.Write(ref _closed, 1);
        long due = 0;
        long unserved = 0;
        for (var i = 0; i < _start.Length; i++)
        {
            if (_start[i] == 0)
            {
                continue;
            }

            due += ((now - _start[i]) / _interval) - (Math.Max(0, _windowStart - _start[i]) / _interval);
            var next = Volatile.Read(ref _nextDue[i]);
            if (next <= now)
            {
                Histogram.RecordTicks(now - next);
                unserved++;
            }
        }

        var sent = Histogram.Count - unserved;
        return new TrackerTotals(due, sent, unserved, Interlocked.Read(ref _bursts));
    }
}

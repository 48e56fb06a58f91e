using System.Diagnostics;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// A process-wide ring of what the runtime looked like at recent moments: total GC pause time, how late a
/// scheduler's timer thread woke up, and (every 10 ms at most) the thread pool's queue. Filled by the timer threads at each wake-up and by <see cref="DriftMonitor"/>
/// at each record, never by a polling thread, and read to explain a late heartbeat after the fact.
/// </summary>
internal static class RuntimeHistory
{
    private const int Capacity = 256;
    private static readonly Lock SharedLock = new();
    private static readonly Sample[] Ring = new Sample[Capacity];
    private static readonly long QueueSamplePeriod = Stopwatch.Frequency / 100;
    private static long _written;
    private static long _lastQueueSample;

    /// <summary>Gets the process's total GC pause time now, in TimeSpan ticks.</summary>
    public static long GcPauseTicks() => GC.GetTotalPauseDuration().Ticks;

    /// <summary>Adds a sample taken now (Stopwatch timestamp), with the thread pool's queue at most every few milliseconds.</summary>
    public static void Add(long timestamp, long gcPauseTicks, long oversleepTicks)
    {
        lock (SharedLock)
        {
            var queued = -1L;
            if (timestamp - _lastQueueSample >= QueueSamplePeriod)
            {
                queued = ThreadPool.PendingWorkItemCount;
                _lastQueueSample = timestamp;
            }

            Ring[_written++ % Capacity] = new Sample(timestamp, gcPauseTicks, oversleepTicks, queued);
        }
    }

    /// <summary>The most thread-pool work items seen queued by samples in the window.</summary>
    public static long MaxQueuedWork(long from, long to) => MaxInWindow(from, to, static sample => sample.QueuedWork);

    /// <summary>The GC pause time since <paramref name="since"/> (Stopwatch timestamp), from the newest sample not after it.</summary>
    public static TimeSpan GcPauseSince(long since)
    {
        var now = GcPauseTicks();
        long? before = null;
        long oldest = now;
        lock (SharedLock)
        {
            var count = (int)Math.Min(_written, Capacity);
            for (var i = 1; i <= count; i++)
            {
                ref readonly var sample = ref Ring[(_written - i) % Capacity];
                oldest = sample.GcPauseTicks;
                if (sample.Timestamp <= since)
                {
                    before = sample.GcPauseTicks;
                    break;
                }
            }
        }

        return TimeSpan.FromTicks(Math.Max(0, now - (before ?? oldest)));
    }

    /// <summary>The longest a timer thread overslept among wake-ups in the window.</summary>
    public static TimeSpan MaxOversleep(long from, long to) =>
        TimeSpan.FromTicks((long)(MaxInWindow(from, to, static sample => sample.OversleepTicks) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    private static long MaxInWindow(long from, long to, Func<Sample, long> value)
    {
        long max = 0;
        lock (SharedLock)
        {
            var count = (int)Math.Min(_written, Capacity);
            for (var i = 1; i <= count; i++)
            {
                ref readonly var sample = ref Ring[(_written - i) % Capacity];
                if (sample.Timestamp < from)
                {
                    break;
                }

                if (sample.Timestamp <= to)
                {
                    max = Math.Max(max, value(sample));
                }
            }
        }

        return max;
    }

    private readonly record struct Sample(long Timestamp, long GcPauseTicks, long OversleepTicks, long QueuedWork);
}

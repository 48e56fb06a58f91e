using System.Diagnostics;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// One process-wide dedicated thread that samples thread-pool queue length and thread count, GC pause time
/// and its own scheduling gaps every <see cref="Period"/>, into a ring covering a few minutes. The evidence for
/// a late heartbeat is read back from the window in which it was late; this works even when the thread that
/// reports the heartbeat is itself a starved thread-pool thread. Reference-counted: runs while anyone uses it.
/// </summary>
internal sealed class RuntimeSampler
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    private const int Capacity = 4096;
    private static readonly Lock SharedLock = new();
    private static RuntimeSampler? _shared;

    private readonly Lock _lock = new();
    private readonly Sample[] _ring = new Sample[Capacity];
    private ManualResetEventSlim? _stop;
    private long _written;
    private int _users;
    private Thread? _thread;

    public static RuntimeSampler Acquire()
    {
        lock (SharedLock)
        {
            var sampler = _shared ??= new RuntimeSampler();
            sampler._users++;
            if (sampler._thread is null)
            {
                var stop = new ManualResetEventSlim(false);
                sampler._stop = stop;
                sampler._thread = new Thread(() => sampler.Run(stop)) { IsBackground = true, Name = "KeepAlive.Net runtime sampler" };
                sampler._thread.Start();
            }

            return sampler;
        }
    }

    public void Release()
    {
        lock (SharedLock)
        {
            if (--_users == 0 && _thread is not null)
            {
                _stop?.Set();
                _thread = null;
            }
        }
    }

    /// <summary>Evidence for a window that ended <paramref name="endedAgo"/> ago and lasted <paramref name="length"/>.</summary>
    public RuntimeEvidence GetEvidence(TimeSpan endedAgo, TimeSpan length)
    {
        var now = Stopwatch.GetTimestamp();
        var end = now - ToTicks(endedAgo);
        var start = end - ToTicks(length) - ToTicks(Period);
        var live = Read(now, now);
        int samples = 0, withWork = 0, firstThreads = -1, maxThreads = live.Threads;
        long maxWork = 0, maxGap = 0, gcStart = -1;

        lock (_lock)
        {
            var count = (int)Math.Min(_written, Capacity);
            for (var i = count; i >= 1; i--)
            {
                ref readonly var sample = ref _ring[(int)((_written - i) % Capacity)];
                if (sample.Timestamp < start || sample.Timestamp > end + ToTicks(Period))
                {
                    continue;
                }

                samples++;
                withWork += sample.QueuedWork > 0 ? 1 : 0;
                maxWork = Math.Max(maxWork, sample.QueuedWork);
                maxThreads = Math.Max(maxThreads, sample.Threads);
                maxGap = Math.Max(maxGap, sample.Gap - ToTicks(Period));
                if (firstThreads < 0)
                {
                    firstThreads = sample.Threads;
                    gcStart = sample.GcPauseTicks;
                }
            }
        }

        // The reporter runs right after the window: its live reading counts too (short windows hold no sample).
        if (live.QueuedWork > 0 && endedAgo < Period)
        {
            withWork++;
            maxWork = Math.Max(maxWork, live.QueuedWork);
        }

        samples += endedAgo < Period ? 1 : 0;
        var gc = gcStart < 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, live.GcPauseTicks - gcStart));
        return new RuntimeEvidence(samples, withWork, maxWork, firstThreads < 0 ? live.Threads : firstThreads, maxThreads, gc,
            TimeSpan.FromTicks((long)(Math.Max(0, maxGap) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency))));
    }

    private static long ToTicks(TimeSpan value) => (long)(value.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    private static Sample Read(long timestamp, long previous) =>
        new(timestamp, ThreadPool.PendingWorkItemCount, ThreadPool.ThreadCount, GC.GetTotalPauseDuration().Ticks, timestamp - previous);

    private void Run(ManualResetEventSlim stop)
    {
        var previous = Stopwatch.GetTimestamp();
        while (!stop.Wait(Period))
        {
            var now = Stopwatch.GetTimestamp();
            var sample = Read(now, previous);
            previous = now;
            lock (_lock)
            {
                _ring[(int)(_written % Capacity)] = sample;
                _written++;
            }
        }

        stop.Dispose();
    }

    private readonly record struct Sample(long Timestamp, long QueuedWork, int Threads, long GcPauseTicks, long Gap);
}

using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The scheduler's threads. One owner thread runs the <see cref="TimerLoop"/> and every callback inline, like Kestrel's
/// heartbeat: a heartbeat due costs a queue pop, the callback and a queue push on one thread, with nothing handed
/// between threads. A standby thread sleeps on a timer the owner arms when a batch starts and disarms when it ends, so
/// with nothing running it never wakes. If the owner is still in one callback past that heartbeat's blocked threshold,
/// the standby reports it, takes the turn over (the loop and the rest of the batch) and becomes the owner; the stuck
/// thread becomes a standby when its callback returns, or ends if there are enough. When a batch is long, the standby
/// also helps: it runs unclaimed items of it in parallel once <see cref="HeartbeatSchedulerOptions.OverloadQueueLength"/>
/// of them wait and the batch has run 10 ms.
/// </summary>
internal sealed partial class TimerThreads : IDisposable
{
    private static readonly TimeSpan HelpAfter = TimeSpan.FromMilliseconds(10);

    [ThreadStatic]
    private static bool t_isSchedulerThread;

    private readonly TimerLoop _loop;
    private readonly BeatRunner _runner;
    private readonly SlotTable _slots;
    private readonly Inbox _inbox;
    private readonly TimerWait _wait;
    private readonly TimerWait _watch;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly int _standbyTarget;
    private readonly int _maxThreads;
    private readonly int _overload;
    private readonly long _helpAfter;
    private readonly long _coalescing;
    private readonly Lock _lock = new();
    private Turn _turn = new();
    private int _threads;
    private int _standbys;
    private int _started;
    private int _owning;
    private long _watchArmed;
    private volatile bool _stopping;

    public TimerThreads(TimerLoop loop, BeatRunner runner, SlotTable slots, Inbox inbox, TimerWait wait, TimeProvider timeProvider, ILogger logger, HeartbeatSchedulerOptions options)
    {
        _loop = loop;
        _runner = runner;
        _slots = slots;
        _inbox = inbox;
        _wait = wait;
        _watch = TimerWait.Create(timeProvider);
        _timeProvider = timeProvider;
        _logger = logger;
        _standbyTarget = options.DispatcherThreadCount;
        _maxThreads = Math.Max(options.DispatcherThreadCount, options.MaxDispatcherThreadCount) + 1;
        _overload = options.OverloadQueueLength;
        _helpAfter = TimestampTicks.From(HelpAfter, timeProvider);
        _coalescing = TimestampTicks.From(TimerLoop.CoalescingWindow, timeProvider);
        lock (_lock)
        {
            StartThread(owner: true);
            for (var i = 0; i < _standbyTarget; i++)
            {
                StartThread(owner: false);
            }
        }
    }

    /// <summary>Stops the threads. The waits are released by the last thread to leave, never under one still using them.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wait.Wake();
        _watch.Wake();
        var until = TimeProvider.System.GetTimestamp() + (2 * System.Diagnostics.Stopwatch.Frequency);
        while (Volatile.Read(ref _owning) != 0 && TimeProvider.System.GetTimestamp() < until && !t_isSchedulerThread)
        {
            Thread.Sleep(1);
        }
    }

    private void StartThread(bool owner)
    {
        _threads++;
        _standbys += owner ? 0 : 1;
        var name = "KeepAlive.Net heartbeat " + (owner ? "timer" : "standby " + (++_started));
        new Thread(() => Run(owner ? _turn : null)) { IsBackground = true, Name = name, Priority = ThreadPriority.AboveNormal }.UnsafeStart();
    }

    private void Run(Turn? turn)
    {
        t_isSchedulerThread = true; // Dispose from a callback must not wait for its own thread
        try
        {
            while (!_stopping)
            {
                if (turn is null)
                {
                    turn = Watch();
                    continue;
                }

                Own(turn);
                turn = null;
                lock (_lock)
                {
                    // Taken over while stuck in a callback: stand by again, unless enough threads already do.
                    if (_standbys >= _standbyTarget && !_stopping)
                    {
                        return;
                    }

                    _standbys++;
                }
            }

            _watch.Wake(); // pass the stop on to the next standby
        }
        finally
        {
            Leave();
        }
    }

    private void Leave()
    {
        bool last;
        lock (_lock)
        {
            last = --_threads == 0 && _stopping;
        }

        if (last)
        {
            _watch.Dispose();
            _wait.Dispose();
        }
    }
}

using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The scheduler's threads. The owner thread runs the <see cref="TimerLoop"/> and every callback inline, like Kestrel's
/// heartbeat: a heartbeat due costs a queue pop, the callback and a queue push on one thread, with nothing handed between
/// threads. Standby threads sleep on an alarm the owner arms when a batch starts (at most once per takeover threshold), so
/// with nothing running they never wake. If the owner is still in one callback past the takeover threshold while other
/// heartbeats wait, a standby takes the turn over (the loop and the rest of the batch) and becomes the owner; the stuck thread
/// becomes a standby when its callback returns, or ends if there are enough. When more is due at once than one thread sends
/// within <see cref="HelpBudget"/>, the owner wakes a standby at once to send part of the batch beside it.
/// </summary>
/// <remarks>
/// Ownership: the loop (its queue and <see cref="SchedulePolicy"/> state) belongs to the thread whose turn is
/// <see cref="_turn"/>, and passes to another thread only through the compare-and-swap on <see cref="Turn.CurrentStart"/>.
/// <see cref="_lock"/> guards the thread counts and the current turn; no user code runs under it.
/// </remarks>
internal sealed partial class TimerThreads : IDisposable
{
    /// <summary>A batch estimated to take longer than this on one thread is shared with a standby.</summary>
    public static readonly TimeSpan HelpBudget = TimeSpan.FromMilliseconds(1);

    /// <summary>The owner gives back a past burst's batch room only before a sleep at least this long (see <see cref="BurstRoom"/>).</summary>
    public static readonly TimeSpan QuietSleep = TimeSpan.FromMilliseconds(100);

    private readonly TimerLoop _loop;
    private readonly BeatRunner _runner;
    private readonly SlotTable _slots;
    private readonly Inbox _inbox;
    private readonly TimerWait _wait;
    private readonly TimerWait _alarm;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly int _standbyTarget;
    private readonly int _maxThreads;
    private readonly long _takeover;
    private readonly long _helpBudget;
    private readonly long _quietSleep;
    private readonly Lock _lock = new();
    private Turn _turn = new();
    private int _threads;
    private int _standbys;
    private int _started;
    private long _alarmArmed;
    private volatile bool _stopping;

    public TimerThreads(TimerLoop loop, BeatRunner runner, SlotTable slots, Inbox inbox, TimerWait wait, TimeProvider clock, ILogger logger, HeartbeatSchedulerOptions options)
    {
        _loop = loop;
        _runner = runner;
        _slots = slots;
        _inbox = inbox;
        _wait = wait;
        _alarm = TimerWait.Create(clock);
        _clock = clock;
        _logger = logger;
        _standbyTarget = options.StandbyThreadCount;
        _maxThreads = Math.Max(options.StandbyThreadCount, options.MaxStandbyThreadCount) + 1;
        _takeover = TimestampTicks.From(options.TakeoverThreshold, clock);
        _helpBudget = TimestampTicks.From(HelpBudget, clock);
        _quietSleep = TimestampTicks.From(QuietSleep, clock);
        lock (_lock)
        {
            StartThread(owner: true);
            for (var i = 0; i < _standbyTarget; i++)
            {
                StartThread(owner: false);
            }
        }
    }

    /// <summary>Signals the threads to stop and returns at once (as Kestrel's heartbeat does): a callback running now finishes on
    /// its own, no other starts. The waits are released by the last thread to leave, never under one still using them.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wait.Wake();
        _alarm.Wake();
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
        var keys = new NextKeys();
        try
        {
            while (!_stopping)
            {
                if (turn is null)
                {
                    turn = Watch(keys);
                    continue;
                }

                Own(turn, keys);
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

            _alarm.Wake(); // pass the stop on to the next standby
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
            _alarm.Dispose();
            _wait.Dispose();
        }
    }
}

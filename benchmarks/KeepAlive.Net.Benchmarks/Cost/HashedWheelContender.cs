using System.Diagnostics;
using DotNetty.Common.Utilities;
using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>
/// DotNetty's <see cref="HashedWheelTimer"/> (a port of Netty's): one worker thread that wakes every tick and
/// expires one bucket. Its timeouts are one-shot, so each registration keeps one task object that re-arms itself at
/// its next due time on its own schedule (never drifting, skipping missed beats); each re-arm allocates a
/// timeout, as in every user of this API. The wheel has 512 buckets (DotNetty's default) or enough to cover one
/// interval, whichever is more.
/// </summary>
internal sealed class HashedWheelContender : Contender
{
    private const int DefaultBuckets = 512;

    private readonly HashedWheelTimer _timer;
    private readonly WheelTask?[] _tasks;
    private readonly long _period;

    public HashedWheelContender(TimeSpan tick, int registrations, TimeSpan interval, Action<int> beat)
        : base($"HashedWheelTimer {tick.TotalMilliseconds:0} ms tick", registrations, interval, beat)
    {
        var buckets = (int)Math.Min(1 << 20, Math.Max(DefaultBuckets, Math.Ceiling(interval / tick)));
        _timer = new HashedWheelTimer(tick, buckets, maxPendingTimeouts: -1);
        _tasks = new WheelTask?[registrations];
        _period = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    }

    public override void Add(int index)
    {
        var task = new WheelTask(this, index, Stopwatch.GetTimestamp() + _period);
        _tasks[index] = task;
        task.Arm(Interval);
    }

    public override void Remove(int index)
    {
        _tasks[index]?.Cancel();
        _tasks[index] = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_timer.StopAsync().Wait(StopTimeout))
        {
            throw new TimeoutException($"The wheel's worker thread did not stop within {StopTimeout.TotalSeconds} s.");
        }
    }

    private sealed class WheelTask(HashedWheelContender owner, int index, long due) : ITimerTask
    {
        private long _due = due;
        private ITimeout? _timeout;
        private volatile bool _cancelled;

        public void Arm(TimeSpan delay) => _timeout = owner._timer.NewTimeout(this, delay);

        public void Run(ITimeout timeout)
        {
            if (_cancelled)
            {
                return;
            }

            owner.Beat(index);
            var now = Stopwatch.GetTimestamp();
            _due = PeriodicSchedule.NextDue(_due, now, owner._period);
            Arm(Stopwatch.GetElapsedTime(now, _due));
        }

        public void Cancel()
        {
            _cancelled = true;
            _timeout?.Cancel();
        }
    }
}

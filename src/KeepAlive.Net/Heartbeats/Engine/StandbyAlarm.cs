using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// When the standby threads next look at the owner of the timer loop: a time any thread may set, and a ring for now (help
/// wanted, stopping). The owner keeps it a takeover threshold ahead of its batch while it runs callbacks and clears it
/// before it sleeps, so only a callback that really holds the owner rings it. On Linux it is a timerfd: setting it is one
/// system call that wakes nobody, so a healthy schedule, dense or idle, wakes no standby at all (each wake-up of a thread
/// that slept long costs 60-100 µs of CPU on the CI machine). Elsewhere, and with a custom clock, it is a
/// <see cref="TimerWait"/>: an earlier time wakes the standbys to wait again, a later one lets them wake at the old time first.
/// </summary>
internal abstract partial class StandbyAlarm : IDisposable
{
    private readonly Lock _lock = new();

    // When it rings: long.MaxValue when not set; at or before now once it has rung, and then only a standby's Wait clears it
    // (nobody moves a ring no standby has seen). Changed only under _lock, together with the kernel's timer.
    private long _at = long.MaxValue;

    /// <summary>Gets when the alarm rings (<see cref="long.MaxValue"/>: not set; at or before now: it has rung).</summary>
    public long At => Volatile.Read(ref _at);

    public static StandbyAlarm Create(TimeProvider clock) =>
        clock == TimeProvider.System && TimerWait.KernelClockIsStopwatch && TimerFd.TryCreate() is { } timerFd ? timerFd : new Waiting(TimerWait.Create(clock));

    /// <summary>Sets the alarm to ring at <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: not at all), unless it has rung and no standby has seen it yet.</summary>
    public void Set(long timestamp, long now)
    {
        lock (_lock)
        {
            if (_at > now)
            {
                var before = _at;
                _at = timestamp;
                Program(timestamp, earlier: timestamp < before);
            }
        }
    }

    /// <summary>Rings now: a standby wakes at once (help for a long batch, or stopping).</summary>
    public void Ring()
    {
        lock (_lock)
        {
            _at = long.MinValue;
            Program(long.MinValue, earlier: true);
        }
    }

    /// <summary>Blocks a standby until the alarm rings (at once if it has), then takes the ring; may return early.</summary>
    public void Wait(TimeProvider clock)
    {
        var at = At;
        if (at > clock.GetTimestamp())
        {
            Block(at);
        }

        lock (_lock)
        {
            if (_at <= clock.GetTimestamp())
            {
                _at = long.MaxValue; // seen: a timerfd is disarmed once it fired
            }
        }
    }

    public abstract void Dispose();

    /// <summary>Tells the kernel (or a waiting standby) the new time; under the lock.</summary>
    protected abstract void Program(long timestamp, bool earlier);

    /// <summary>Blocks until the alarm rings; <paramref name="at"/> is when, as last set.</summary>
    protected abstract void Block(long at);

    /// <summary>A timer wait: the standby sleeps until the set time; an earlier one wakes it to sleep again until that.</summary>
    private sealed class Waiting(TimerWait wait) : StandbyAlarm
    {
        public override void Dispose() => wait.Dispose();

        protected override void Program(long timestamp, bool earlier)
        {
            if (earlier)
            {
                wait.Wake();
            }
        }

        protected override void Block(long at) => wait.WaitUntil(at);
    }

    /// <summary>A Linux timerfd on CLOCK_MONOTONIC with absolute times: the standbys block reading it; setting it wakes nobody.</summary>
    private sealed unsafe partial class TimerFd(int fd) : StandbyAlarm
    {
        private const int CloseOnExec = 0x80000; // TFD_CLOEXEC (O_CLOEXEC), x64 and Arm64
        private const int AbsoluteTime = 1; // TFD_TIMER_ABSTIME
        private int _fd = fd;

        public static TimerFd? TryCreate()
        {
            var fd = TimerFdCreate(TimerWait.ClockMonotonic, CloseOnExec);
            return fd >= 0 ? new TimerFd(fd) : null;
        }

        public override void Dispose()
        {
            lock (_lock)
            {
                if (_fd >= 0)
                {
                    _ = Close(_fd);
                    _fd = -1;
                }
            }
        }

        protected override void Program(long timestamp, bool earlier)
        {
            if (_fd < 0)
            {
                return;
            }

            // An all-zero value disarms it; a time already past fires it at once.
            var value = new TimerSpec { Value = timestamp == long.MaxValue ? default : TimerWait.TimeSpec.At(timestamp) };
            _ = TimerFdSetTime(_fd, AbsoluteTime, &value, null);
        }

        protected override void Block(long at)
        {
            ulong expirations;
            _ = Read(Volatile.Read(ref _fd), &expirations, sizeof(ulong)); // EINTR, or closed while stopping: the caller checks
        }

        [LibraryImport("libc", EntryPoint = "timerfd_create")]
        private static partial int TimerFdCreate(int clockId, int flags);

        [LibraryImport("libc", EntryPoint = "timerfd_settime")]
        private static partial int TimerFdSetTime(int fd, int flags, TimerSpec* value, TimerSpec* old);

        [LibraryImport("libc", EntryPoint = "read")]
        private static partial nint Read(int fd, void* buffer, nint count);

        [LibraryImport("libc", EntryPoint = "close")]
        private static partial int Close(int fd);

        [StructLayout(LayoutKind.Sequential)]
        private struct TimerSpec
        {
            public TimerWait.TimeSpec Interval; // zero: fires once
            public TimerWait.TimeSpec Value;
        }
    }
}

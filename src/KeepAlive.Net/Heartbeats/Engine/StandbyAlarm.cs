using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// When the standbys next look at the owner of the timer loop: a time any thread may set, or a ring now (help, stopping). On
/// Linux a timerfd (CLOCK_MONOTONIC, absolute): setting it wakes nobody, so a healthy schedule wakes no standby. Elsewhere,
/// and with a custom clock, a <see cref="TimerWait"/>: an earlier time wakes the standbys to wait again.
/// </summary>
internal sealed unsafe partial class StandbyAlarm : IDisposable
{
    private const int CloseOnExec = 0x80000; // TFD_CLOEXEC (O_CLOEXEC), x64 and Arm64
    private const int AbsoluteTime = 1; // TFD_TIMER_ABSTIME
    private readonly Lock _lock = new();
    private readonly TimerWait? _wait; // without a timerfd
    private int _fd; // the timerfd, -1 without one or once disposed

    // When it rings (long.MaxValue: not set). Once rung, only a standby's Wait clears it. Changed under _lock with the kernel's timer.
    private long _at = long.MaxValue;

    public StandbyAlarm(TimeProvider clock)
    {
        _fd = clock == TimeProvider.System && TimerWait.KernelClockIsStopwatch ? TimerFdCreate(TimerWait.ClockMonotonic, CloseOnExec) : -1;
        _wait = _fd < 0 ? TimerWait.Create(clock) : null;
    }

    /// <summary>Gets when the alarm rings (<see cref="long.MaxValue"/>: not set; at or before now: it has rung).</summary>
    public long At => Volatile.Read(ref _at);

    /// <summary>Sets the alarm to ring at <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: not at all), unless it has rung and no standby has seen it yet.</summary>
    public void Set(long timestamp, long now)
    {
        lock (_lock)
        {
            if (_at > now)
            {
                Program(timestamp);
            }
        }
    }

    /// <summary>Rings now: a standby wakes at once (help for a long batch, or stopping).</summary>
    public void Ring()
    {
        lock (_lock)
        {
            Program(long.MinValue);
        }
    }

    /// <summary>Blocks a standby until the alarm rings (at once if it has), then takes the ring; may return early.</summary>
    public void Wait(TimeProvider clock)
    {
        var at = At;
        if (at > clock.GetTimestamp())
        {
            if (_wait is not null)
            {
                _wait.WaitUntil(at);
            }
            else
            {
                ulong expirations;
                _ = Read(Volatile.Read(ref _fd), &expirations, sizeof(ulong)); // EINTR, or closed while stopping: the caller checks
            }
        }

        lock (_lock)
        {
            if (_at <= clock.GetTimestamp())
            {
                _at = long.MaxValue; // seen (a timerfd disarms itself once it fired)
            }
        }
    }

    /// <summary>Releases the timerfd or the wait (the last thread to leave does it).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _wait?.Dispose();
            if (_fd >= 0)
            {
                _ = Close(_fd);
                _fd = -1;
            }
        }
    }

    // Under the lock: the new time, then the kernel's timer (zero disarms it, a past time fires it) or the waiting standbys.
    private void Program(long timestamp)
    {
        var earlier = timestamp < _at;
        _at = timestamp;
        if (_fd >= 0)
        {
            var value = new TimerSpec { Value = timestamp == long.MaxValue ? default : TimerWait.TimeSpec.At(timestamp) };
            _ = TimerFdSetTime(_fd, AbsoluteTime, &value, null);
        }
        else if (earlier)
        {
            _wait?.Wake();
        }
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

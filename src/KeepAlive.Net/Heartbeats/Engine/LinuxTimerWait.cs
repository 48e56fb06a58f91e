using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The Linux wait: a timerfd on CLOCK_MONOTONIC armed at the absolute due time (Stopwatch timestamps are that
/// clock in nanoseconds) and an eventfd for early wake-ups, both waited on with one poll(2). Nanosecond
/// resolution, no spinning, no periodic wake-up; the kernel's timer slack (50 µs by default) is the only rounding.
/// </summary>
internal sealed unsafe partial class LinuxTimerWait : TimerWait
{
    private const int ClockMonotonic = 1;
    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int AbsoluteTime = 1;
    private const short PollIn = 1;
    private const long NanosecondsPerSecond = 1_000_000_000;
    private readonly int _timer;
    private readonly int _event;
    private long _armed = long.MinValue;

    private LinuxTimerWait(int timer, int @event)
    {
        _timer = timer;
        _event = @event;
    }

    public override string Kind => "timerfd (CLOCK_MONOTONIC, absolute) + eventfd";

    /// <summary>Creates the wait, or returns <see langword="null"/> where it cannot work (not Linux, a clock that is not CLOCK_MONOTONIC ns).</summary>
    public static LinuxTimerWait? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || Stopwatch.Frequency != NanosecondsPerSecond || !StopwatchIsMonotonic())
        {
            return null;
        }

        var timer = TimerFdCreate(ClockMonotonic, CloseOnExec | NonBlocking);
        if (timer < 0)
        {
            return null;
        }

        var @event = EventFd(0, CloseOnExec | NonBlocking);
        if (@event < 0)
        {
            _ = Close(timer);
            return null;
        }

        return new LinuxTimerWait(timer, @event);
    }

    public override void WaitUntil(long now, long timestamp)
    {
        if (timestamp != _armed)
        {
            // Zero disarms a timerfd, so "never" is disarmed and any real time is at least 1 ns.
            var due = timestamp == long.MaxValue ? 0 : Math.Max(1, timestamp);
            var spec = new TimerSpec { ValueSeconds = due / NanosecondsPerSecond, ValueNanoseconds = due % NanosecondsPerSecond };
            _ = TimerFdSetTime(_timer, AbsoluteTime, &spec, null);
            _armed = timestamp;
        }

        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _timer, Events = PollIn };
        fds[1] = new PollFd { Fd = _event, Events = PollIn };
        if (Poll(fds, 2, -1) <= 0)
        {
            return; // EINTR (a signal, SIGCONT after SIGSTOP): the caller checks the clock.
        }

        ulong count;
        if (fds[0].ReturnedEvents != 0)
        {
            _ = Read(_timer, &count, sizeof(ulong));
            _armed = long.MinValue;
        }

        if (fds[1].ReturnedEvents != 0)
        {
            _ = Read(_event, &count, sizeof(ulong));
        }
    }

    public override void Wake()
    {
        ulong one = 1;
        _ = Write(_event, &one, sizeof(ulong));
    }

    protected override void Dispose(bool disposing)
    {
        _ = Close(_timer);
        _ = Close(_event);
    }

    private static bool StopwatchIsMonotonic()
    {
        TimeSpec now;
        var before = Stopwatch.GetTimestamp();
        if (ClockGetTime(ClockMonotonic, &now) != 0)
        {
            return false;
        }

        var monotonic = (now.Seconds * NanosecondsPerSecond) + now.Nanoseconds;
        return Math.Abs(monotonic - before) < 1_000_000 || Math.Abs(monotonic - Stopwatch.GetTimestamp()) < 1_000_000;
    }

    [LibraryImport("libc", EntryPoint = "timerfd_create")]
    private static partial int TimerFdCreate(int clockId, int flags);

    [LibraryImport("libc", EntryPoint = "timerfd_settime")]
    private static partial int TimerFdSetTime(int fd, int flags, TimerSpec* newValue, TimerSpec* oldValue);

    [LibraryImport("libc", EntryPoint = "eventfd")]
    private static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, TimeSpec* value);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimerSpec
    {
        public long IntervalSeconds;
        public long IntervalNanoseconds;
        public long ValueSeconds;
        public long ValueNanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// How a scheduler thread sleeps until a timestamp of its clock, without spinning; a <see cref="Wake"/> before the wait makes
/// it return at once. A futex on Linux, a millisecond event wait elsewhere, the clock's own timer for a custom clock.
/// </summary>
internal abstract unsafe partial class TimerWait : IDisposable
{
    internal const int ClockMonotonic = 1;
    private const long NanosecondsPerSecond = 1_000_000_000;

    public static TimerWait Create(TimeProvider clock) =>
        clock != TimeProvider.System ? new ClockWait(clock) : FutexWait.TryCreate() ?? (TimerWait)new EventWait();

    /// <summary>Gets a value indicating whether this is Linux and Stopwatch timestamps are CLOCK_MONOTONIC in nanoseconds (checked once), so the kernel's absolute deadlines can be given as timestamps.</summary>
    internal static bool KernelClockIsStopwatch { get; } = OperatingSystem.IsLinux() && Stopwatch.Frequency == NanosecondsPerSecond && StopwatchIsMonotonic();

    /// <summary>Gets a short name for the start-up log.</summary>
    public abstract string Kind { get; }

    /// <summary>Blocks until the clock reaches <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: never) or a <see cref="Wake"/>; may return early.</summary>
    public abstract void WaitUntil(long timestamp);

    /// <summary>Makes the current or the next wait return at once (wakes every waiter).</summary>
    public abstract void Wake();

    /// <summary>Releases the wait's handles (the last thread to leave does it).</summary>
    public abstract void Dispose();

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

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, TimeSpec* value);

    /// <summary>A kernel <c>struct timespec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        /// <summary>A Stopwatch timestamp as an absolute CLOCK_MONOTONIC time (never 0, which the kernel reads as "none").</summary>
        public static TimeSpec At(long timestamp)
        {
            var due = Math.Max(1, timestamp);
            return new TimeSpec { Seconds = due / NanosecondsPerSecond, Nanoseconds = due % NanosecondsPerSecond };
        }
    }

    /// <summary>Without a precise kernel timer: an event wait in whole milliseconds, rounded down (the caller waits again if early).</summary>
    private sealed class EventWait : TimerWait
    {
        private readonly AutoResetEvent _wake = new(false);

        public override string Kind => "event wait (1ms resolution)";

        public override void WaitUntil(long timestamp)
        {
            var remaining = TimeProvider.System.GetElapsedTime(TimeProvider.System.GetTimestamp(), timestamp);
            _wake.WaitOne(timestamp == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Clamp((long)remaining.TotalMilliseconds, 1, int.MaxValue - 1)));
        }

        public override void Wake()
        {
            try
            {
                _wake.Set();
            }
            catch (ObjectDisposedException)
            {
                // A late wake (a send completing after the last scheduler thread left) finds nothing waiting any more.
            }
        }

        public override void Dispose() => _wake.Dispose();
    }

    /// <summary>
    /// For a custom <see cref="TimeProvider"/> (FakeTimeProvider in tests): its own timer wakes the thread. The timer's due time
    /// is relative to the clock when it is set, so it is set again until the clock did not move meanwhile.
    /// </summary>
    private sealed class ClockWait : TimerWait
    {
        private readonly TimeProvider _clock;
        private readonly ManualResetEventSlim _wake = new(false);
        private readonly ITimer _timer;

        public ClockWait(TimeProvider clock)
        {
            _clock = clock;
            _timer = clock.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public override string Kind => "the custom clock's timer";

        public override void WaitUntil(long timestamp)
        {
            var now = _clock.GetTimestamp();
            while (timestamp != long.MaxValue && !_wake.IsSet)
            {
                if (now >= timestamp)
                {
                    return;
                }

                _timer.Change(_clock.GetElapsedTime(now, timestamp), Timeout.InfiniteTimeSpan);
                var after = _clock.GetTimestamp();
                if (after == now)
                {
                    break;
                }

                now = after;
            }

            if (timestamp == long.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            _wake.Wait();
            _wake.Reset();
        }

        public override void Wake() => _wake.Set();

        public override void Dispose()
        {
            _timer.Dispose();
            _wake.Dispose();
        }
    }

    /// <summary>
    /// The Linux wait: a futex word that <see cref="Wake"/> sets, waited on with <c>FUTEX_WAIT_BITSET</c> and an absolute
    /// CLOCK_MONOTONIC deadline (Stopwatch timestamps, checked at start-up): one system call to sleep, one to wake a sleeper;
    /// the kernel's timer slack (50 µs by default) is the only rounding.
    /// </summary>
    private sealed unsafe partial class FutexWait : TimerWait
    {
        private const int FutexWake = 1;
        private const int FutexWaitBitset = 9;
        private const int FutexPrivate = 128;
        private const uint MatchAnyBit = uint.MaxValue;
        private readonly long _syscall;

        // The futex word, 1 once woken, 0 again after the next wait; pinned managed memory, so a late Wake never writes to freed memory.
        private readonly int[] _word = GC.AllocateArray<int>(1, pinned: true);
        private readonly int* _signaled;

        private FutexWait(long syscall)
        {
            _syscall = syscall;
            _signaled = (int*)Unsafe.AsPointer(ref _word[0]);
        }

        public override string Kind => "futex (CLOCK_MONOTONIC, absolute)";

        /// <summary>Creates the wait, or <see langword="null"/> where it cannot work (not x64 or Arm64 Linux with CLOCK_MONOTONIC Stopwatch timestamps).</summary>
        public static FutexWait? TryCreate()
        {
            var syscall = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => 202L, // __NR_futex, arch/x86/entry/syscalls/syscall_64.tbl
                Architecture.Arm64 => 98L, // __NR_futex, include/uapi/asm-generic/unistd.h
                _ => 0L,
            };
            return KernelClockIsStopwatch && syscall != 0 ? new FutexWait(syscall) : null;
        }

        public override void WaitUntil(long timestamp)
        {
            if (Interlocked.Exchange(ref *_signaled, 0) != 0)
            {
                return;
            }

            var deadline = TimeSpec.At(timestamp);
            var until = timestamp == long.MaxValue ? null : &deadline; // null: until woken
            _ = Futex(_syscall, _signaled, FutexWaitBitset | FutexPrivate, 0, until, null, MatchAnyBit); // EINTR, EAGAIN, ETIMEDOUT: the caller checks
        }

        public override void Wake()
        {
            if (Interlocked.Exchange(ref *_signaled, 1) == 0)
            {
                _ = Futex(_syscall, _signaled, FutexWake | FutexPrivate, int.MaxValue, null, null, 0);
            }
        }

        public override void Dispose() { } // nothing to release: the word goes with the object

        [LibraryImport("libc", EntryPoint = "syscall")]
        private static partial long Futex(long number, int* address, int operation, int value, TimeSpec* deadline, int* address2, uint bitset);
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The Linux wait: one futex word that <see cref="Wake"/> sets, waited on with <c>FUTEX_WAIT_BITSET</c> and an absolute
/// CLOCK_MONOTONIC deadline (Stopwatch timestamps are that clock in nanoseconds, checked at start-up). One system call to
/// sleep, one to wake a sleeper; nanosecond resolution, no spinning, no periodic wake-up; the kernel's timer slack (50 µs by
/// default) is the only rounding.
/// </summary>
internal sealed unsafe partial class FutexTimerWait : TimerWait
{
    private const int FutexWake = 1;
    private const int FutexWaitBitset = 9;
    private const int FutexPrivate = 128;
    private const uint MatchAnyBit = uint.MaxValue;
    private const int ClockMonotonic = 1;
    private const long NanosecondsPerSecond = 1_000_000_000;
    private readonly long _syscall;

    // The futex word: 1 once woken, taken back to 0 by the next wait. In a pinned array, not native memory: a late Wake from
    // another thread (an inbox post after the scheduler stopped) must never write to freed memory.
    private readonly int[] _word = GC.AllocateArray<int>(1, pinned: true);
    private readonly int* _signaled;

    private FutexTimerWait(long syscall)
    {
        _syscall = syscall;
        _signaled = (int*)Unsafe.AsPointer(ref _word[0]);
    }

    public override string Kind => "futex (CLOCK_MONOTONIC, absolute)";

    /// <summary>Creates the wait, or returns <see langword="null"/> where it cannot work (not 64-bit Linux on x64 or Arm64, a clock that is not CLOCK_MONOTONIC ns).</summary>
    public static FutexTimerWait? TryCreate()
    {
        var syscall = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 202L, // __NR_futex, arch/x86/entry/syscalls/syscall_64.tbl
            Architecture.Arm64 => 98L, // __NR_futex, include/uapi/asm-generic/unistd.h
            _ => 0L,
        };
        return OperatingSystem.IsLinux() && syscall != 0 && Stopwatch.Frequency == NanosecondsPerSecond && StopwatchIsMonotonic()
            ? new FutexTimerWait(syscall)
            : null;
    }

    public override void WaitUntil(long timestamp)
    {
        if (Interlocked.Exchange(ref *_signaled, 0) != 0)
        {
            return;
        }

        if (timestamp == long.MaxValue)
        {
            _ = Futex(_syscall, _signaled, FutexWaitBitset | FutexPrivate, 0, null, null, MatchAnyBit);
            return;
        }

        var due = Math.Max(1, timestamp);
        var deadline = new TimeSpec { Seconds = due / NanosecondsPerSecond, Nanoseconds = due % NanosecondsPerSecond };
        _ = Futex(_syscall, _signaled, FutexWaitBitset | FutexPrivate, 0, &deadline, null, MatchAnyBit); // EINTR, EAGAIN, ETIMEDOUT: the caller checks
    }

    public override void Wake()
    {
        if (Interlocked.Exchange(ref *_signaled, 1) == 0)
        {
            _ = Futex(_syscall, _signaled, FutexWake | FutexPrivate, int.MaxValue, null, null, 0);
        }
    }

    public override void Dispose()
    {
        // Nothing to release: the word goes with the object.
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

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Futex(long number, int* address, int operation, int value, TimeSpec* deadline, int* address2, uint bitset);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, TimeSpec* value);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

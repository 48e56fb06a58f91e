using System.Diagnostics;
using System.Globalization;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real time and real threads: the engine sleeps when idle, honours Dispose inside a batch, counts hangs.</summary>
[Collection(ThreadPoolStarvationGroup.Name)] // runs alone: the idle test watches every KeepAlive.Net thread of the process
public sealed class EngineBehaviourTests
{
    [Fact]
    public async Task Scheduler_IdleOrNothingDue_ItsThreadsStayAsleep()
    {
        TestEnvironment.RequireLinux();
        var others = SchedulerThreads.Read().Keys.ToHashSet();
        await using var scheduler = new HeartbeatScheduler();
        using var far = scheduler.Register(new HeartbeatOptions { Interval = TimeSpan.FromHours(1), Name = "far" }, _ => ValueTask.CompletedTask);
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        var before = SchedulerThreads.Read().Where(t => !others.Contains(t.Key)).ToDictionary();
        before.Count.Should().BeGreaterThanOrEqualTo(2, "a timer thread and a standby thread");

        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        var after = SchedulerThreads.Read().Where(t => !others.Contains(t.Key)).ToDictionary();

        after.Keys.Should().BeEquivalentTo(before.Keys);
        foreach (var (thread, (switches, cpu)) in after)
        {
            switches.Should().Be(before[thread].ContextSwitches, "no thread of an idle scheduler wakes up: no spinning, no polling (thread {0})", thread);
            cpu.Should().Be(before[thread].CpuNanoseconds);
        }
    }

    [Fact]
    public async Task Scheduler_HealthySchedule_DenseOrSparse_TheStandbyNeverWakes()
    {
        TestEnvironment.RequireLinux();
        var others = SchedulerThreads.Read().Keys.ToHashSet();
        await using var scheduler = new HeartbeatScheduler();
        var sent = 0;
        ValueTask Send(HeartbeatContext context)
        {
            Interlocked.Increment(ref sent);
            return ValueTask.CompletedTask;
        }

        // Dense: a batch every ~2 ms, well inside the 50 ms takeover threshold (the standby used to wake once or twice per threshold).
        var dense = new List<HeartbeatRegistration>();
        for (var i = 0; i < 10; i++)
        {
            dense.Add(scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(20), Name = "dense" }, Send));
            Thread.Sleep(2);
        }

        var (timer, standby) = await WatchOneSecond(others);
        timer.Should().BeGreaterThan(100, "the timer thread wakes for ~500 heartbeats a second");
        standby.Should().BeLessThanOrEqualTo(2, "a healthy dense schedule keeps the standby's alarm ahead of it without waking it");

        // Sparse: a batch every ~100 ms, longer than the threshold (the standby used to wake twice per batch).
        dense.ForEach(r => r.Dispose());
        var sparse = new List<HeartbeatRegistration>();
        for (var i = 0; i < 3; i++)
        {
            sparse.Add(scheduler.Register(new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(300), Name = "sparse" }, Send));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var before = Volatile.Read(ref sent);
        (_, standby) = await WatchOneSecond(others);
        sparse.ForEach(r => r.Dispose());
        (Volatile.Read(ref sent) - before).Should().BeGreaterThanOrEqualTo(6, "about ten heartbeats were due");
        standby.Should().BeLessThanOrEqualTo(2, "the owner clears the alarm before a sleep longer than it: nothing of its own runs meanwhile");
    }

    // The context switches, over one second, of the busiest and the quietest of the threads not in others.
    private static async Task<(long Busiest, long Quietest)> WatchOneSecond(HashSet<string> others)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        var before = SchedulerThreads.Read().Where(t => !others.Contains(t.Key)).ToDictionary();
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        var switches = SchedulerThreads.Read().Where(t => before.ContainsKey(t.Key)).Select(t => t.Value.ContextSwitches - before[t.Key].ContextSwitches).ToList();
        switches.Should().HaveCountGreaterThanOrEqualTo(2, "a timer thread and a standby thread");
        return (switches.Max(), switches.Min());
    }

    [Fact]
    public async Task Dispose_WhileItsBatchIsDispatched_NoSendStartsAfterDisposeReturns()
    {
        await using var scheduler = new HeartbeatScheduler();
        const int count = 2000;
        var disposed = new int[count];
        var violations = 0;
        var calls = 0;
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(50) };
        var registrations = new HeartbeatRegistration[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            registrations[i] = scheduler.Register(options, _ =>
            {
                Interlocked.Increment(ref calls);
                if (Volatile.Read(ref disposed[index]) != 0)
                {
                    Interlocked.Increment(ref violations);
                }

                Thread.SpinWait(50);
                return ValueTask.CompletedTask;
            });
        }

        SpinWait.SpinUntil(() => Volatile.Read(ref calls) >= count * 3, TimeSpan.FromSeconds(10)).Should().BeTrue();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            registrations[i].Dispose();
            Volatile.Write(ref disposed[i], 1);
        });
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);

        violations.Should().Be(0, "no heartbeat starts after Dispose returned");
        scheduler.RegistrationCount.Should().Be(0);
        var settled = Volatile.Read(ref calls);
        await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        calls.Should().Be(settled);
    }

    [Fact]
    public void RunDue_SendHangsForThreeIntervals_MissedHeartbeatsCountedNoBurst()
    {
        using var harness = new ManualScheduler();
        var pending = new TaskCompletionSource();
        var calls = 0;
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = ManualScheduler.Second },
            _ => ++calls == 1 ? new ValueTask(pending.Task) : ValueTask.CompletedTask);
        harness.Step(ManualScheduler.Second, ManualScheduler.Tick);
        calls.Should().Be(1);

        harness.Step(TimeSpan.FromSeconds(3.5), ManualScheduler.Tick);
        calls.Should().Be(1, "one callback at a time per registration");
        pending.SetResult();
        harness.Step(ManualScheduler.Tick * 3, ManualScheduler.Tick);

        calls.Should().Be(2, "one heartbeat after the hang, not a burst");
        var statistics = registration.GetStatistics();
        statistics.Skipped.Should().BeGreaterThanOrEqualTo(2, "the heartbeats due while the send hung are counted");
        statistics.LastDelayCause.Should().Be(HeartbeatDelayCause.SendBlocked);
    }

    [Fact]
    public void DriftMonitorRecord_ZeroOrFutureTimestamps_RefusedWithTheFix()
    {
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1) });
        var now = TimeProvider.System.GetTimestamp();

        ((Action)(() => monitor.Record(0, now))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*dueTimestamp is 0*never 0*");
        ((Action)(() => monitor.Record(now, now + Stopwatch.Frequency))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*sendStartTimestamp*not after now*");
        ((Action)(() => monitor.Record(now, now, now - 1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*ended*before it started*");
        monitor.GetStatistics().Sent.Should().Be(0, "a refused record is not counted");
    }

    [Fact]
    public void DriftMonitorRecord_AfterDispose_RefusedSayingWhyAndTheFix()
    {
        var monitor = new DriftMonitor(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Name = "legacy-ping" });
        monitor.Dispose();
        var now = TimeProvider.System.GetTimestamp();

        ((Action)(() => monitor.RecordSentNow(now))).Should().Throw<ObjectDisposedException>()
            .WithMessage("*DriftMonitor 'legacy-ping' is disposed*nothing was recorded*Fix:*");
    }

    [Fact]
    public void DriftMonitorRecord_DueTimestampFarAhead_RefusedInsteadOfCountedOnTime()
    {
        // DateTime.UtcNow.Ticks (6e17) is far ahead of Stopwatch.GetTimestamp() (nanoseconds since boot on Linux): every
        // heartbeat was recorded on time with lateness 0, the very mistake the XML docs promise to refuse. A due time a
        // little ahead (a timer that fired early) is still accepted.
        var (clock, monitor, now) = MonitorOfOneSecondADayIn();
        using var disposeMonitor = monitor;
        var second = TicksOf(TimeSpan.FromSeconds(1), clock);

        monitor.Record(now + (second / 2), now).Lateness.Should().Be(TimeSpan.Zero, "a heartbeat sent half an interval early is on time");
        ((Action)(() => monitor.Record(now + (2 * second), now))).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("dueTimestamp is * on the monitor's clock, 2s after now*more than the Interval (1s) ahead*Fix: take it from the monitor's TimeProvider.GetTimestamp()*never a DateTime's ticks*");
        ((Action)(() => monitor.RecordSentNow(long.MaxValue))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("dueTimestamp is 9223372036854775807*");
        ((Action)(() => monitor.RecordFailure(now + (10 * second), now, new IOException()))).Should().Throw<ArgumentOutOfRangeException>();
        monitor.GetStatistics().Sent.Should().Be(1, "only the first record was accepted");
    }

    [Fact]
    public void DriftMonitorRecord_DueTimestampAheadByAnAmountOfTicks_MessageWritesItToTheMillisecondAsEveryMeasuredDuration()
    {
        // How far ahead the due timestamp is was measured from two timestamps, to the tick: the refusal wrote it exactly
        // ("2s345ms678.9us"), where every other measured duration of the library is written to the millisecond (FormatMeasured).
        var (clock, monitor, now) = MonitorOfOneSecondADayIn();
        using var disposeMonitor = monitor;
        var ahead = TicksOf(TimeSpan.FromTicks(23_456_789), clock); // 2s345ms678.9us

        var message = ((Action)(() => monitor.Record(now + ahead, now))).Should().Throw<ArgumentOutOfRangeException>().Which.Message;

        message.Should().Contain("on the monitor's clock, 2s346ms after now", "a measured duration is written to the millisecond");
        DurationText.NotReadBack(message).Should().BeEmpty("the message writes durations as configuration reads them: {0}", message);
    }

    // A DriftMonitor of a 1s interval on a fake clock a day past its start, and that clock's now.
    private static (TimeProvider Clock, DriftMonitor Monitor, long Now) MonitorOfOneSecondADayIn()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        clock.Advance(TimeSpan.FromDays(1));
        return (clock, new DriftMonitor(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1) }, clock), clock.GetTimestamp());
    }

    private static long TicksOf(TimeSpan duration, TimeProvider clock) => (long)(duration.TotalSeconds * clock.TimestampFrequency);

    /// <summary>The live KeepAlive.Net threads of this process, from /proc (names are cut to 15 characters: "KeepAlive.Net h").</summary>
    private static class SchedulerThreads
    {
        public static Dictionary<string, (long ContextSwitches, long CpuNanoseconds)> Read()
        {
            var threads = new Dictionary<string, (long, long)>();
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("KeepAlive.Net h", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    long switches = 0;
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            switches += long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
                        }
                    }

                    threads[Path.GetFileName(task)] = (switches, long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // The thread ended while being read (another test's scheduler, disposed without waiting for its threads):
                    // it is not listed; a thread of the scheduler under test that ends shows as a missing key.
                }
            }

            return threads;
        }
    }
}

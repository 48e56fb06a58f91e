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

    /// <summary>The KeepAlive.Net threads of this process, from /proc (names are cut to 15 characters: "KeepAlive.Net h").</summary>
    private static class SchedulerThreads
    {
        public static Dictionary<string, (long ContextSwitches, long CpuNanoseconds)> Read()
        {
            var threads = new Dictionary<string, (long, long)>();
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
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

            return threads;
        }
    }
}

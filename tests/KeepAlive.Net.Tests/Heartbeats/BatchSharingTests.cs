using System.Collections.Concurrent;
using System.Diagnostics;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// Issue 16: a batch too long for one thread (more due at once than it can start within <c>SchedulePolicy.HelpBudget</c> (rule 10)) is
/// shared with the standby, on the scheduler's own threads, and so is the rest of a batch that has run longer than that; a
/// short batch stays on one thread (no cost at rest).
/// </summary>
[Collection(ThreadPoolStarvationGroup.Name)] // runs alone: it counts which threads run callbacks
public sealed class BatchSharingTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Scheduler_AlignedBurstOfSlowCallbacks_SharedBetweenTheSchedulersThreads()
    {
        // 400 heartbeats due together (no spread: aligned on purpose), each busy for 100 µs: 40 ms on one thread.
        var threads = await RunAlignedBurstAsync(registrations: 400, work: TimeSpan.FromMicroseconds(100));

        threads.Should().HaveCountGreaterThanOrEqualTo(2, "a 40 ms batch is more than one thread starts within the 1 ms help budget, so the standby helps");
        threads.Values.Should().OnlyContain(name => name != null && name.StartsWith("KeepAlive.Net", StringComparison.Ordinal), "help comes from the scheduler's own threads, never the pool");
    }

    [Fact]
    public async Task Scheduler_BatchSlowerThanEstimated_WhatIsLeftSharedOnceItRanPastTheHelpBudget()
    {
        // 40 heartbeats due together are estimated at well under the 1 ms help budget (no help at the start), but each takes
        // 2 ms (a first call being compiled, a slow callback): 80 ms on one thread, below the takeover threshold per callback.
        var threads = await RunAlignedBurstAsync(registrations: 40, work: TimeSpan.FromMilliseconds(2));

        threads.Should().HaveCountGreaterThanOrEqualTo(2, "once the batch has run past the help budget, the owner wakes the standby for the items nobody started");
    }

    [Fact]
    public async Task Scheduler_FewCheapCallbacksDueTogether_StayOnOneThread()
    {
        using var telemetry = new TestTelemetry();
        var threads = await RunAlignedBurstAsync(registrations: 8, work: TimeSpan.Zero, telemetry);

        // A loaded machine may preempt the owner for longer than the takeover threshold; then the standby rightly takes the
        // turn over (and says so). Help, which is what this test is about, must not be woken.
        var takeovers = telemetry.LogsWithId(KeepAliveEventIds.HeartbeatTimerTakenOver).Count;
        threads.Should().HaveCount(1 + Math.Min(takeovers, 1), "8 trivial heartbeats are far below the help budget: no second thread is woken for them ({0} takeovers logged)", takeovers);
    }

    private static async Task<ConcurrentDictionary<int, string?>> RunAlignedBurstAsync(int registrations, TimeSpan work, TestTelemetry? telemetry = null)
    {
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Interval, Spread = TimeSpan.Zero };
        var threads = new ConcurrentDictionary<int, string?>();
        var calls = 0;
        using var done = new ManualResetEventSlim();
        var list = new List<HeartbeatRegistration>();
        for (var i = 0; i < registrations; i++)
        {
            list.Add(scheduler.Register(options, _ =>
            {
                threads.TryAdd(Environment.CurrentManagedThreadId, Thread.CurrentThread.Name);
                var spin = Stopwatch.StartNew();
                while (spin.Elapsed < work)
                {
                    Thread.SpinWait(20);
                }

                if (Interlocked.Increment(ref calls) == registrations)
                {
                    done.Set();
                }

                return ValueTask.CompletedTask;
            }));
        }

        done.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).Should().BeTrue("every registration's first heartbeat runs");
        list.ForEach(r => r.Dispose());
        return threads;
    }
}

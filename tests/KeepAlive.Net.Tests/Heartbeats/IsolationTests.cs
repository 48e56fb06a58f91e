namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real time: faulty callbacks must not hold up the others, and must be reported.</summary>
public sealed class IsolationTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(1)] // in the first batch
    [InlineData(4)] // after several short batches: the standby's alarm must still be set for the one that blocks
    public async Task Scheduler_OneCallbackThrowsAnotherBlocks5s_OthersStayOnTimeAndBothAreReported(int blockingCall)
    {
        using var telemetry = new TestTelemetry();
        using var blockedMetric = telemetry.Collect<long>("keepalive.heartbeat.blocked");
        using var failedMetric = telemetry.Collect<long>("keepalive.heartbeat.failed");
        // One standby: without its takeover every registration would wait 5 s behind the blocker.
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry, new HeartbeatSchedulerOptions { StandbyThreadCount = 1 });
        HeartbeatOptions Options(string name) => new()
        {
            Mode = HeartbeatMode.FixedRate,
            Interval = Interval,
            Name = name,
            BlockedCallbackThreshold = TimeSpan.FromMilliseconds(200),
        };

        using var thrower = scheduler.Register(Options("thrower"), _ => throw new InvalidOperationException("always"));
        var blockerCalls = 0;
        using var blocker = scheduler.Register(Options("blocker"), _ =>
        {
            if (Interlocked.Increment(ref blockerCalls) == blockingCall)
            {
                Thread.Sleep(TimeSpan.FromSeconds(5));
            }

            return ValueTask.CompletedTask;
        });
        var healthy = Enumerable.Range(0, 8).Select(i => scheduler.Register(Options("healthy-" + i), _ => ValueTask.CompletedTask)).ToList();

        await Task.Delay(TimeSpan.FromSeconds(6.5), TestContext.Current.CancellationToken);

        foreach (var registration in healthy)
        {
            var statistics = registration.GetStatistics();
            statistics.Sent.Should().BeGreaterThanOrEqualTo(25, "{0} must keep its 200 ms rate while another callback blocks", registration.Name);
            statistics.MaxLateness.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "{0} must not wait for the blocked callback", registration.Name);
            statistics.Failed.Should().Be(0);
            registration.Dispose();
        }

        thrower.Dispose(); // stop it before comparing its counters with the metric (no failure may land between the two reads)
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var thrown = thrower.GetStatistics();
        thrown.Failed.Should().BeGreaterThanOrEqualTo(25, "a throwing callback is counted and its registration carries on");
        thrown.Sent.Should().Be(0);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().Contain(r => r.Message.Contains("'thrower'", StringComparison.Ordinal));
        failedMetric.GetMeasurementSnapshot().Where(m => (string?)m.Tags["keepalive.heartbeat.name"] == "thrower").Sum(m => m.Value).Should().Be(thrown.Failed);

        var blocked = blocker.GetStatistics();
        blocked.Blocked.Should().Be(1);
        blocked.LastSendDuration.Should().BeLessThan(TimeSpan.FromSeconds(1), "after the 5 s block it sends normally again");
        blocked.Sent.Should().BeGreaterThanOrEqualTo(3);
        blocked.LastDelayCause.Should().Be(HeartbeatDelayCause.SendBlocked);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Should().ContainSingle().Which.Message.Should().Contain("'blocker'");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatTimerTakenOver).Should().NotBeEmpty();
        blockedMetric.GetMeasurementSnapshot().Should().ContainSingle();
    }

    [Fact]
    public async Task Scheduler_CallbackBlocksEarlyInALongBatch_EveryLaterItemOfTheBatchStillRunsOnTime()
    {
        // 40 registrations made in one go come due in one batch, in registration order; the owner thread claims batch
        // items several at a time. The third blocks for 3 s: the standby that takes over must also run the items the
        // stuck owner had claimed but not started, or those registrations would never send again.
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry, new HeartbeatSchedulerOptions { StandbyThreadCount = 1 });
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Interval, BlockedCallbackThreshold = TimeSpan.FromMilliseconds(200) };
        var calls = new int[40];
        var registrations = Enumerable.Range(0, calls.Length).Select(i => scheduler.Register(options, _ =>
        {
            if (Interlocked.Increment(ref calls[i]) == 2 && i == 2)
            {
                Thread.Sleep(TimeSpan.FromSeconds(3));
            }

            return ValueTask.CompletedTask;
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);

        for (var i = 0; i < registrations.Count; i++)
        {
            var statistics = registrations[i].GetStatistics();
            if (i == 2)
            {
                statistics.Blocked.Should().Be(1);
                continue;
            }

            statistics.Sent.Should().BeGreaterThanOrEqualTo(15, "registration {0} must keep its 200 ms rate while registration 2 blocks", i);
            statistics.MaxLateness.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "registration {0} must not wait for the blocked callback", i);
        }

        calls.Where((_, i) => i != 2).Should().OnlyContain(c => c >= 15);
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Scheduler_MoreDueAtOnceThanTheThreadsCanSendInTime_LateOnesAttributedToSchedulerOverload()
    {
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry,
            new HeartbeatSchedulerOptions { StandbyThreadCount = 1, MaxStandbyThreadCount = 1 });
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1), DriftWarningThreshold = TimeSpan.FromMilliseconds(100) };
        var registrations = Enumerable.Range(0, 200).Select(_ => scheduler.Register(options, _ =>
        {
            Thread.SpinWait(1); // a little work each: 200 of them take a while on one thread
            Thread.Sleep(2);
            return ValueTask.CompletedTask;
        })).ToList();

        SpinWait.SpinUntil(() => registrations.All(r => r.GetStatistics().Sent + r.GetStatistics().Failed >= 1), TimeSpan.FromSeconds(10)).Should().BeTrue();

        var delayed = registrations.Select(r => r.GetStatistics()).Where(s => s.Delayed > 0).ToList();
        delayed.Should().NotBeEmpty("the last of 200 heartbeats due together wait about 400 ms behind the others: one owner and one helping standby");
        delayed.Should().Contain(s => s.LastDelayCause == HeartbeatDelayCause.SchedulerOverload);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatLate).Should().Contain(r => r.Message.Contains("SchedulerOverload", StringComparison.Ordinal));

        // The standby helped with that batch; the next keys of the heartbeats it ran reach the queue too, so all send again.
        SpinWait.SpinUntil(() => registrations.All(r => r.GetStatistics().Sent >= 3), TimeSpan.FromSeconds(15)).Should().BeTrue(
            "every registration, whichever thread ran its heartbeat, must be scheduled again");
        registrations.ForEach(r => r.Dispose());
    }
}

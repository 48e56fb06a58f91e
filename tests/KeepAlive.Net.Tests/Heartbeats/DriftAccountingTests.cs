using System.Diagnostics;
using static KeepAlive.Net.Tests.Heartbeats.ManualScheduler;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class DriftAccountingTests
{
    [Fact]
    public void RunDue_LateHeartbeat_ReportsCauseInLogEventAndMetric()
    {
        using var harness = new ManualScheduler();
        using var delayed = harness.Telemetry.Collect<long>("keepalive.heartbeat.delayed");
        using var lateness = harness.Telemetry.Collect<double>("keepalive.heartbeat.lateness");
        var events = new List<HeartbeatDelayedEventArgs>();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), DriftWarningThreshold = Second, Name = "db" }, new Recorder().Send);
        registration.Delayed += (_, e) => events.Add(e);

        harness.Step(TimeSpan.FromMilliseconds(9990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(2010));

        var e = events.Should().ContainSingle().Subject;
        e.Name.Should().Be("db");
        e.Lateness.Should().Be(TimeSpan.FromSeconds(2));
        e.Cause.Should().NotBe(HeartbeatDelayCause.None);
        e.Evidence.Should().NotBeNullOrEmpty();
        var log = harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatLate).Should().ContainSingle().Subject;
        log.Message.Should().Contain("'db'").And.Contain("2s late").And.Contain(e.Cause.ToString())
            .And.EndWith("due heartbeats folded into it: 0", "none was folded: the message must not read \"0 due heartbeats were folded into it\" as if some were");
        var measurement = delayed.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        measurement.Tags["keepalive.lateness.cause"].Should().NotBeNull().And.NotBe("none");
        measurement.Tags["keepalive.heartbeat.name"].Should().Be("db");
        lateness.LastMeasurement!.Value.Should().BeApproximately(2.0, 0.0001);
        registration.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Delayed = 1L, MaxLateness = TimeSpan.FromSeconds(2), LastDelayCause = e.Cause });
    }

    [Fact]
    public void RunDue_SlowDelayedHandler_ItsTimeIsThisRegistrationsNotTheTimerThreadsBacklog()
    {
        // A Delayed handler runs on the scheduler's thread; one that takes longer than the interval makes the next
        // heartbeat late. That lateness is the registration's own (SendBlocked), not "more heartbeats due at once".
        using var harness = new ManualScheduler();
        var causes = new List<(HeartbeatDelayCause Cause, string Evidence)>();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = Second, DriftWarningThreshold = TimeSpan.FromMilliseconds(50), Spread = TimeSpan.Zero, Name = "one" }, new Recorder().Send);
        registration.Delayed += (_, e) =>
        {
            causes.Add((e.Cause, e.Evidence));
            if (causes.Count == 1)
            {
                harness.Time.Advance(TimeSpan.FromMilliseconds(1500)); // the handler takes 1.5 s
            }
        };

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(110)); // the first heartbeat 100 ms late: Delayed
        harness.Step(TimeSpan.FromSeconds(3), Tick);

        causes.Should().HaveCountGreaterThanOrEqualTo(2);
        causes[1].Cause.Should().Be(HeartbeatDelayCause.SendBlocked, "the handler of the previous heartbeat held the thread: {0}", causes[1].Evidence);
        causes[1].Evidence.Should().Contain("Delayed handler");
    }

    [Fact]
    public void Register_LogsItsSettingsInTheLibrarysDurationsNotTimeSpanOrNull()
    {
        using var harness = new ManualScheduler();
        using var plain = harness.Scheduler.Register(new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(1500), Spread = TimeSpan.FromMilliseconds(50), Name = "plain" }, new Recorder().Send);
        using var peer = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second, Timeout = TimeSpan.FromSeconds(3), PeerIdleTimeout = PeerIdleTimeout.AwsNlb, Name = "peer" }, new Recorder().Send);

        var messages = harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatRegistered).Select(static r => r.Message).ToList();

        messages.Should().Contain(m => m.Contains("'plain'", StringComparison.Ordinal) && m.Contains("every 1s500ms, timeout none, peer idle timeout none, spread of a burst up to 50ms", StringComparison.Ordinal));
        messages.Should().Contain(m => m.Contains("'peer'", StringComparison.Ordinal) && m.Contains("timeout 3s, peer idle timeout AwsNlb (5m50s)", StringComparison.Ordinal));
        messages.Should().NotContain(m => m.Contains("(null)", StringComparison.Ordinal) || m.Contains("00:00:", StringComparison.Ordinal));
    }

    [Fact]
    public void Register_TwoConnectionsWithTheSameOptions_EachRegistrationLoggedLikeEachUnregistration()
    {
        // IKeepAliveHeartbeats registers every connection of a profile with the profile's one options object.
        using var harness = new ManualScheduler();
        var options = new HeartbeatOptions { Interval = Second, Name = "payments" };

        harness.Scheduler.Register(options, new Recorder().Send).Dispose();
        harness.Scheduler.Register(options, new Recorder().Send).Dispose();
        using var third = harness.Scheduler.Register(options, new Recorder().Send);

        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatUnregistered).Should().HaveCount(2);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatRegistered).Should().HaveCount(3, "event 2000 is 'a heartbeat registration started': each one, as 2001 says each one that stopped");
    }

    [Theory]
    [InlineData("keepalive.heartbeat.lateness")]
    [InlineData("keepalive.heartbeat.send.duration")]
    public void Histogram_InSeconds_AdvisesBucketsFromSubMillisecondToTheLatenessThatLosesAConnection(string name)
    {
        using var harness = new ManualScheduler();
        using var collector = harness.Telemetry.Collect<double>(name);

        var histogram = collector.Instrument.Should().BeOfType<System.Diagnostics.Metrics.Histogram<double>>().Subject;
        var boundaries = histogram.Advice?.HistogramBucketBoundaries;

        boundaries.Should().NotBeNull("without advice an OpenTelemetry exporter uses its default boundaries, made for milliseconds (0, 5, 10, 25 ... 10000): every value under 5 s, an on-time heartbeat and one 4 s late alike, lands in one bucket");
        boundaries.Should().BeInAscendingOrder()
            .And.Contain(b => b > 0 && b <= 0.001, "an on-time heartbeat takes well under a millisecond")
            .And.Contain(b => b > 0.001 && b < 0.1)
            .And.Contain(b => b >= 0.1 && b <= 1, "the default warning threshold is 1 s")
            .And.Contain(b => b > 1 && b < 13)
            .And.Contain(b => b >= 13, "the case's heartbeat was 13 s late");
    }

    [Fact]
    public void CauseTag_EveryCause_TheSnakeCaseNameDocumentedInHeartbeatsMd()
    {
        Enum.GetValues<HeartbeatDelayCause>().Select(cause => (string?)KeepAlive.Net.Heartbeats.HeartbeatMetrics.CauseTag(cause).Value).Should().Equal(
            "none", "thread_pool_starvation", "gc_pause", "send_blocked", "scheduler_overload", "process_paused", "unknown");
    }

    [Fact]
    public void RunDue_OnTimeHeartbeats_CauseNoneAndNoWarning()
    {
        using var harness = new ManualScheduler();
        using var lateness = harness.Telemetry.Collect<double>("keepalive.heartbeat.lateness");
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second }, new Recorder().Send);

        harness.Step(TimeSpan.FromSeconds(3), Tick);

        lateness.GetMeasurementSnapshot().Should().HaveCount(3).And.OnlyContain(m => (string?)m.Tags["keepalive.lateness.cause"] == "none");
        harness.Telemetry.Logs.GetSnapshot().Should().NotContain(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        registration.GetStatistics().Sent.Should().Be(3);
    }

    [Fact]
    public void RunDue_LatenessEatsHalfTheBudget_BudgetWarning()
    {
        using var harness = new ManualScheduler();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = Second, PeerIdleTimeout = TimeSpan.FromSeconds(4), DriftWarningThreshold = TimeSpan.FromSeconds(10) }, new Recorder().Send);

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(1610));

        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetWarning).Should().ContainSingle()
            .Which.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded).Should().BeEmpty();
        registration.GetStatistics().Delayed.Should().Be(1, "1.6 s is over half of the 3 s margin even though under the 10 s threshold");
    }

    [Fact]
    public void RunDue_HeartbeatAfterPeerTimeout_ErrorEvent()
    {
        using var harness = new ManualScheduler();
        var events = new List<HeartbeatDelayedEventArgs>();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = Second, PeerIdleTimeout = TimeSpan.FromSeconds(4) }, new Recorder().Send);
        registration.Delayed += (_, e) => events.Add(e);

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(3510));

        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded).Should().ContainSingle()
            .Which.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Error);
        events.Should().ContainSingle().Which.BudgetExceeded.Should().BeTrue();
    }

    [Fact]
    public void Callback_Throws_CountedLoggedAndRegistrationCarriesOn()
    {
        using var harness = new ManualScheduler();
        using var failed = harness.Telemetry.Collect<long>("keepalive.heartbeat.failed");
        var calls = 0;
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = Second },
            _ => ++calls % 2 == 0 ? throw new InvalidOperationException("boom") : ValueTask.FromException(new IOException("reset")));

        harness.Step(TimeSpan.FromSeconds(4), Tick);

        calls.Should().Be(4);
        registration.GetStatistics().Failed.Should().Be(4);
        failed.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(4);
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendFailed).Should().HaveCount(4)
            .And.Contain(r => r.Exception is InvalidOperationException).And.Contain(r => r.Exception is IOException);
    }

    [Fact]
    public void AsyncSend_NotCompleting_ReportedBlockedAndNextHeartbeatCausedBySendBlocked()
    {
        using var harness = new ManualScheduler();
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var events = new List<HeartbeatDelayedEventArgs>();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second, BlockedCallbackThreshold = TimeSpan.FromMilliseconds(500) },
            _ => ++calls == 1 ? new ValueTask(pending.Task) : ValueTask.CompletedTask);
        registration.Delayed += (_, e) => events.Add(e);

        harness.Step(Second, Tick);
        calls.Should().Be(1);
        harness.Time.Advance(Second * 3);
        harness.Scheduler.RunDue().Should().Be(0, "only the blocked report is due");
        harness.Scheduler.RunDue().Should().Be(0, "a registration never overlaps its own sends");
        registration.GetStatistics().Blocked.Should().Be(1);
        var blocked = harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Should().ContainSingle().Subject;
        blocked.ShouldWriteDurations("500ms");
        blocked.Message.Should().Contain("over the blocked threshold of 500ms");
        blocked.ShouldKeepFields(("ThresholdMs", "500"));
        blocked.ShouldKeepMilliseconds("RunningMs").Should().BeGreaterThanOrEqualTo(500, "reported once the send ran past the threshold");

        pending.SetResult();
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent == 1, TimeSpan.FromSeconds(5)).Should().BeTrue();
        registration.GetStatistics().LastSendDuration.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3));

        // The completion counts the send before it posts the registration's next key, on a pool thread: run due work
        // until that key arrives instead of assuming it is there the moment the counter moves.
        harness.Time.Advance(Tick);
        SpinWait.SpinUntil(() => harness.Scheduler.RunDue() > 0, TimeSpan.FromSeconds(5)).Should().BeTrue("the completed send posts the next heartbeat");

        calls.Should().Be(2);
        events.Should().ContainSingle().Which.Cause.Should().Be(HeartbeatDelayCause.SendBlocked);
    }

    [Fact]
    public void AsyncSend_CompletesAfterTheLoopFlaggedItBlockedBeforeTheReportRan_CountedAndLoggedOnce()
    {
        // The loop flags a send blocked when its watch surfaces and queues the report in its batch; a send that completes
        // before that report runs (here: an earlier item of the same batch completes it) leaves its own end to the report.
        using var harness = new ManualScheduler();
        var pending = new TaskCompletionSource(); // completed inline: its continuation runs inside the other registration's callback
        var calls = 0;
        using var blocked = harness.Scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second, BlockedCallbackThreshold = TimeSpan.FromMilliseconds(500), Name = "slow" },
            _ => ++calls == 1 ? new ValueTask(pending.Task) : ValueTask.CompletedTask);
        using var other = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(1400), Name = "other" },
            _ =>
            {
                pending.TrySetResult();
                return ValueTask.CompletedTask;
            });

        harness.Step(Second, Tick);
        calls.Should().Be(1);
        harness.Time.Advance(TimeSpan.FromMilliseconds(600)); // the other's heartbeat (1.4 s) pops before the slow send's watch (1.5 s)
        harness.Scheduler.RunDue().Should().Be(1, "the other registration's heartbeat ran, then the blocked report");

        pending.Task.IsCompleted.Should().BeTrue();
        blocked.GetStatistics().Should().BeEquivalentTo(new { Sent = 1L, Blocked = 1L }, "the send ran 600 ms, past its 500 ms threshold, and is counted once");
        harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatSendBlocked).Should().ContainSingle()
            .Which.Message.Should().Contain("'slow' send has been running for 600ms").And.Contain("it ended before this report ran");
    }

    [Fact]
    public void DriftMonitor_Record_SameAccountingAsScheduler()
    {
        var clock = new SystemLikeFakeTimeProvider();
        using var telemetry = new TestTelemetry();
        using var delayed = telemetry.Collect<long>("keepalive.heartbeat.delayed");
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = Second, PeerIdleTimeout = TimeSpan.FromSeconds(4), Name = "legacy" }, clock, telemetry, telemetry);

        var due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(5));
        monitor.Record(due, clock.GetTimestamp()).Should().Be(new HeartbeatLatenessReport(TimeSpan.FromMilliseconds(5), TimeSpan.Zero, HeartbeatDelayCause.None, false, false, 0));

        due = clock.GetTimestamp();
        clock.AdjustTime(clock.GetUtcNow() + TimeSpan.FromHours(1));
        monitor.RecordSentNow(due).IsDelayed.Should().BeFalse("a wall-clock jump is not drift");

        due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(3500));
        var start = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(20));
        var report = monitor.Record(due, start, clock.GetTimestamp());
        report.Lateness.Should().Be(TimeSpan.FromMilliseconds(3500));
        report.SendDuration.Should().Be(TimeSpan.FromMilliseconds(20));
        report.BudgetExceeded.Should().BeTrue();
        report.Skipped.Should().Be(3);
        report.Cause.Should().NotBe(HeartbeatDelayCause.None);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded).Should().ContainSingle().Which.Message.Should().Contain("'legacy'");
        delayed.GetMeasurementSnapshot().Should().ContainSingle();
        monitor.GetStatistics().Should().BeEquivalentTo(new { Sent = 3L, Delayed = 1L, Skipped = 3L });
    }

    [Fact]
    public void DriftMonitor_DefaultSpread_BudgetIsTheWholeSilenceTheApplicationsTimerLeaves()
    {
        // HEARTBEATS.md's example: the application's own 1 s timer, a peer that forgets the connection after 2 s of silence. The
        // default spread is the scheduler's (rule 7, first heartbeats of a burst moved later); this timer is never spread, so
        // a heartbeat 600 ms late leaves 1.6 s of silence, inside the peer's 2 s.
        var clock = new SystemLikeFakeTimeProvider();
        using var telemetry = new TestTelemetry();
        var options = new HeartbeatOptions { Name = "legacy-ping", Interval = Second, PeerIdleTimeout = TimeSpan.FromSeconds(2) };
        using var monitor = new DriftMonitor(options, clock, telemetry, telemetry);

        var due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(600));
        var report = monitor.Record(due, clock.GetTimestamp());

        report.BudgetExceeded.Should().BeFalse("1.6 s of silence is within the peer's idle timeout of 2 s");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded).Should().BeEmpty();
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetWarning).Should().ContainSingle("600 ms is over half of the 1 s margin")
            .Which.Message.Should().Contain("at least half of the 1s margin (the peer's idle timeout", "600 ms is more than half: the margin is what the idle timeout leaves")
            .And.Contain("less the interval, jitter and spread");

        due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(1000));
        monitor.Record(due, clock.GetTimestamp()).BudgetExceeded.Should().BeTrue("2 s of silence reaches the peer's idle timeout");
    }

    [Fact]
    public void DriftMonitor_SlowSend_CauseSendBlocked()
    {
        var clock = new SystemLikeFakeTimeProvider();
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = Second, BlockedCallbackThreshold = TimeSpan.FromMilliseconds(200) }, clock);
        var due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromSeconds(2));
        var start = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromSeconds(1));

        monitor.Record(due, start, clock.GetTimestamp()).Cause.Should().Be(HeartbeatDelayCause.SendBlocked);
        monitor.GetStatistics().Blocked.Should().Be(1);
    }

    [Fact]
    public void RunDue_HeartbeatThatReportsItsSendStartAnHourLate_LatenessIsTheHourNotTheSendMarksLimit()
    {
        // A machine suspended for an hour; the callback marks its hand-over to the transport, as the socket heartbeat does.
        using var harness = new ManualScheduler();
        var events = new List<HeartbeatDelayedEventArgs>();
        using var registration = harness.Scheduler.Register(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10) }, context =>
        {
            context.ReportSendStarted();
            return default;
        });
        registration.Delayed += (_, e) => events.Add(e);

        harness.Jump(TimeSpan.FromSeconds(10) + TimeSpan.FromHours(1));

        events.Should().ContainSingle().Which.Lateness.Should().Be(TimeSpan.FromHours(1), "the heartbeat was due an hour before it was sent");
        registration.GetStatistics().Should().Match<HeartbeatStatistics>(s => s.LastLateness == TimeSpan.FromHours(1) && s.Skipped == 360);
    }

    [Fact]
    public void DriftMonitor_HourLateAfterASuspendedMachine_LastLatenessIsTheHourNotThe35MinuteCounterLimit()
    {
        var clock = new SystemLikeFakeTimeProvider();
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = Second }, clock);
        var due = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromHours(1));
        var start = clock.GetTimestamp();
        clock.Monotonic.Advance(TimeSpan.FromHours(1));

        monitor.Record(due, start, clock.GetTimestamp());

        var statistics = monitor.GetStatistics();
        (statistics.LastLateness, statistics.MaxLateness, statistics.LastSendDuration).Should().Be((TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1)));
        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(10));
        monitor.Record(clock.GetTimestamp(), clock.GetTimestamp(), clock.GetTimestamp());
        monitor.GetStatistics().LastLateness.Should().Be(TimeSpan.Zero, "the next on-time heartbeat replaces it");
    }

    [Fact]
    public void Scheduler_PublicConstructorWithFakeTime_TimerThreadFollowsTheFakeClock()
    {
        var clock = new SystemLikeFakeTimeProvider();
        using var scheduler = new HeartbeatScheduler(clock);
        var recorder = new Recorder();
        using var registration = scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = Second }, recorder.Send);

        clock.Monotonic.Advance(TimeSpan.FromMilliseconds(999));
        Thread.Sleep(100); // absence check: the timer thread must not send before the fake clock reaches the due time
        recorder.Count.Should().Be(0);
        for (var i = 1; i <= 3; i++)
        {
            clock.Monotonic.Advance(TimeSpan.FromMilliseconds(i == 1 ? 1 : 1000));
            SpinWait.SpinUntil(() => recorder.Count == i, TimeSpan.FromSeconds(10)).Should().BeTrue();
        }

        recorder.Calls.Should().OnlyContain(c => c.Lateness == TimeSpan.Zero);
        Stopwatch.GetTimestamp().Should().BePositive();
    }
}

using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// <see cref="DriftMonitor.WatchForOverdue"/>: the case of CASE.md seen while it happens. A DriftMonitor alone learns a
/// heartbeat was late when it is finally recorded, after the peer may have closed the connection; the watch, on a thread
/// of its own, says so while the application's heartbeat is still waiting. Runs alone: one test starves the thread pool.
/// </summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class DriftMonitorOverdueTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task WatchForOverdue_ThreadPoolStarvedBeforeTheNextTick_WarnsWhileTheHeartbeatIsStillWaitingAndNamesStarvation()
    {
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(), null, telemetry);
        using var watch = monitor.WatchForOverdue();
        await using var app = new TimerApp(monitor, ct);
        await app.WaitForAsync(2, ct);

        var floodEnds = ThreadPoolFlood.Start(TimeSpan.FromSeconds(4), workItems: 200, out var maxWorkers, out var maxIo);
        try
        {
            var before = app.Recorded;
            var warning = await WaitForAsync(telemetry, KeepAliveEventIds.HeartbeatOverdue, DateTime.UtcNow + TimeSpan.FromSeconds(3.5));

            warning.Should().NotBeNull("the application's heartbeat waited in the starved pool's queue well past its threshold, and the watch's own thread saw it");
            app.Recorded.Should().Be(before, "the warning came while the heartbeat was still waiting, not when it was finally recorded");
            DateTime.UtcNow.Should().BeBefore(floodEnds, "the stall was still going on");
            TestContext.Current.TestOutputHelper?.WriteLine(warning!.Message);
            warning.Level.Should().Be(LogLevel.Warning);
            warning.Message.Should().Contain("'legacy-ping'").And.Contain("overdue").And.Contain("ThreadPoolStarvation").And.Contain("still not recorded").And.Contain("queued thread-pool work items");
        }
        finally
        {
            while (DateTime.UtcNow < floodEnds)
            {
                Thread.Sleep(50);
            }

            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
        }

        // The late heartbeat leaves after the flood, and the timer's next ticks follow it on time: no second warning.
        var afterFlood = app.Recorded;
        await app.WaitForAsync(afterFlood + 3, ct);
        app.Recorded.Should().BeGreaterThanOrEqualTo(afterFlood + 3, "the timer ticks again once the pool is free");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().HaveCount(1, "one warning per stall, however long it lasts, and none for the heartbeats after it");
        telemetry.Logs.GetSnapshot().Should().Contain(
            r => r.Id.Id == KeepAliveEventIds.HeartbeatLate || r.Id.Id == KeepAliveEventIds.HeartbeatBudgetWarning || r.Id.Id == KeepAliveEventIds.HeartbeatBudgetExceeded,
            "the late heartbeat itself is still accounted when it is recorded");
    }

    [Fact]
    public async Task WatchForOverdue_NothingRecordedAfterAHeartbeat_WarnsOncePerStallAndAgainAfterTheNextRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(), null, telemetry);
        using var watch = monitor.WatchForOverdue();

        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        var first = await WaitForAsync(telemetry, KeepAliveEventIds.HeartbeatOverdue, DateTime.UtcNow + TimeSpan.FromSeconds(10));
        first.Should().NotBeNull("no heartbeat came an interval after the last one, plus the 250 ms from which one is late");
        first!.Message.Should().Contain("Interval 500ms").And.Contain("250ms").And.Contain("budget");
        await Task.Delay(Interval * 3, ct);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().HaveCount(1, "the same stall is said once");

        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().HaveCount(2, "a new record starts a new wait, and its stall is said too");
    }

    [Fact]
    public async Task WatchForOverdue_SpreadSet_TheBudgetItStatesIsTheDifferenceItNames()
    {
        // A spread set on the options counts in a DriftMonitor's budget (HEARTBEATS.md): 4s - 500ms - 0s - 200ms = 3s300ms, and
        // the warning's formula must name every term it took off, or it states a budget its own terms do not give.
        using var telemetry = new TestTelemetry();
        var options = Options();
        options.Spread = TimeSpan.FromMilliseconds(200);
        using var monitor = new DriftMonitor(options, null, telemetry);
        using var watch = monitor.WatchForOverdue();

        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        var warning = await WaitForAsync(telemetry, KeepAliveEventIds.HeartbeatOverdue, DateTime.UtcNow + TimeSpan.FromSeconds(10));

        warning.Should().NotBeNull("no heartbeat came an interval after the last one");
        TestContext.Current.TestOutputHelper?.WriteLine(warning!.Message);
        options.LatenessBudget.Should().Be(TimeSpan.FromMilliseconds(3300));
        warning.Message.Should().Contain("lateness budget of 3s300ms (PeerIdleTimeout 4s - Interval - Jitter - Spread)");
    }

    [Fact]
    public async Task WatchForOverdue_HeartbeatsRecordedOnTime_SaysNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(), null, telemetry);
        using var watch = monitor.WatchForOverdue();
        await using (var app = new TimerApp(monitor, ct))
        {
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            app.Recorded.Should().BeGreaterThanOrEqualTo(3);
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().BeEmpty();
    }

    [Fact]
    public async Task WatchForOverdue_WatchDisposed_SaysNothingMore()
    {
        var ct = TestContext.Current.CancellationToken;
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(), null, telemetry);
        monitor.WatchForOverdue().Dispose();
        using var again = monitor.WatchForOverdue(); // a disposed watch leaves room for another
        again.Dispose();

        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        await Task.Delay(Interval * 4, ct);

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().BeEmpty();
    }

    [Fact]
    public async Task WatchForOverdue_WhenIdleWithTrafficMarked_SaysNothingUntilTheTrafficStopsThenWarnsNamingIt()
    {
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(HeartbeatMode.WhenIdle), null, telemetry);
        using var watch = monitor.WatchForOverdue();
        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());

        // Traffic every 100 ms for 2 s: a WhenIdle heartbeat is not due while the connection carries data.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < until)
        {
            monitor.MarkActivity();
            await Task.Factory.StartNew(() => Thread.Sleep(100), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().BeEmpty("each mark put the next heartbeat an interval after it, as the scheduler's WhenIdle does");
        var stopped = TimeProvider.System.GetTimestamp();
        var warning = await WaitForAsync(telemetry, KeepAliveEventIds.HeartbeatOverdue, DateTime.UtcNow + TimeSpan.FromSeconds(10));
        warning.Should().NotBeNull("once the traffic stops, the heartbeat is due an interval after the last mark");
        TimeProvider.System.GetElapsedTime(stopped).Should().BeGreaterThanOrEqualTo(Interval, "not before an interval after the last mark");
        warning!.Message.Should().Contain("the connection's last activity");
    }

    [Fact]
    public async Task WatchForOverdue_FixedRateWithTrafficMarked_StillWarns()
    {
        using var telemetry = new TestTelemetry();
        using var monitor = new DriftMonitor(Options(HeartbeatMode.FixedRate), null, telemetry);
        using var watch = monitor.WatchForOverdue();
        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Count == 0 && DateTime.UtcNow < until)
        {
            monitor.MarkActivity();
            await Task.Factory.StartNew(() => Thread.Sleep(50), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatOverdue).Should().ContainSingle("a FixedRate heartbeat leaves every interval whatever the traffic, as in the scheduler")
            .Which.Message.Should().Contain("the last one (due or sent");
    }

    [Fact]
    public void MarkActivity_AfterDispose_DoesNothing()
    {
        var monitor = new DriftMonitor(Options(HeartbeatMode.WhenIdle));
        monitor.Dispose();
        monitor.Invoking(m => m.MarkActivity()).Should().NotThrow("an application's read or write loop may still mark traffic while it shuts down");
    }

    [Fact]
    public void WatchForOverdue_Misused_RefusedWithTheFix()
    {
        using var monitor = new DriftMonitor(Options());
        using (monitor.WatchForOverdue())
        {
            monitor.Invoking(m => m.WatchForOverdue()).Should().Throw<InvalidOperationException>()
                .WithMessage("*already watched*Fix: dispose the first watch*");
        }

        using var fake = new DriftMonitor(Options(), new FakeTimeProvider());
        fake.Invoking(m => m.WatchForOverdue()).Should().Throw<NotSupportedException>()
            .WithMessage("*TimeProvider.System*");

        var disposed = new DriftMonitor(Options());
        disposed.Dispose();
        disposed.Invoking(m => m.WatchForOverdue()).Should().Throw<ObjectDisposedException>();
    }

    private static HeartbeatOptions Options(HeartbeatMode mode = HeartbeatMode.WhenIdle) => new()
    {
        Name = "legacy-ping",
        Mode = mode,
        Interval = Interval,
        PeerIdleTimeout = TimeSpan.FromSeconds(4),
        DriftWarningThreshold = TimeSpan.FromMilliseconds(250),
    };

    private static async Task<Microsoft.Extensions.Logging.Testing.FakeLogRecord?> WaitForAsync(TestTelemetry telemetry, int eventId, DateTime until)
    {
        while (DateTime.UtcNow < until)
        {
            if (telemetry.LogsWithId(eventId) is [var first, ..])
            {
                return first;
            }

            // A dedicated thread's sleep: the pool may be starved.
            await Task.Factory.StartNew(() => Thread.Sleep(20), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return telemetry.LogsWithId(eventId) is [var last, ..] ? last : null;
    }

    /// <summary>The application's own heartbeat, as docs/HEARTBEATS.md shows it: a PeriodicTimer whose continuation runs on the pool.</summary>
    private sealed class TimerApp : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;
        private int _recorded;

        public TimerApp(DriftMonitor monitor, CancellationToken ct)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _loop = Task.Run(() => RunAsync(monitor, _stop.Token), ct);
        }

        public int Recorded => Volatile.Read(ref _recorded);

        /// <summary>Waits, up to 10 s, until <paramref name="count"/> heartbeats were recorded.</summary>
        public async Task WaitForAsync(int count, CancellationToken ct)
        {
            for (var waited = 0; Recorded < count && waited < 10_000; waited += 20)
            {
                await Task.Delay(20, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        private async Task RunAsync(DriftMonitor monitor, CancellationToken ct)
        {
            var time = TimeProvider.System;
            var period = (long)(time.TimestampFrequency * Interval.TotalSeconds);
            var t0 = time.GetTimestamp();
            long slot = 0;
            using var timer = new PeriodicTimer(Interval);
            try
            {
                while (true)
                {
                    var tick = timer.WaitForNextTickAsync(ct);
                    var missed = tick.IsCompleted;
                    if (!await tick)
                    {
                        return;
                    }

                    var sent = time.GetTimestamp();
                    var due = t0 + ((slot + 1) * period);
                    slot = missed ? Math.Max(slot + 1, (sent - t0) / period) : slot + 1;
                    monitor.Record(due, sent);
                    Interlocked.Increment(ref _recorded);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

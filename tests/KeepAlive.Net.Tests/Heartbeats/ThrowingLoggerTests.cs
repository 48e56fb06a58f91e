using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// Real threads and time: the application's logging that throws (a provider that fails makes Microsoft.Extensions.Logging's
/// Logger throw) must not end a thread of the library, which would end the process: not the scheduler's timer and standby
/// threads, not a send's completion on the thread pool, not the overdue watch's thread. Every record it drops is counted.
/// </summary>
public sealed class ThrowingLoggerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(LogLevel.Information)] // an application's usual level: the warnings the threads log
    [InlineData(LogLevel.Debug)] // and the records of the application's own calls: the scheduler's start, a registration
    public async Task Scheduler_LoggerThrowsOnEveryLog_EveryRecordIsCountedAndTheThreadsKeepSendingHeartbeats(LogLevel minimumLevel)
    {
        LibraryThreadFailures.Watch();
        var cancellation = TestContext.Current.CancellationToken;
        using var broken = new BrokenLogging(minimumLevel);
        using var telemetry = new TestTelemetry();
        using var logFailed = telemetry.Collect<long>("keepalive.log.failed");
        using var monitorTelemetry = new TestTelemetry(); // a collector reads one instrument: the monitor's meter has its own
        using var monitorLogFailed = monitorTelemetry.Collect<long>("keepalive.log.failed");
        using var overdue = monitorTelemetry.Collect<long>("keepalive.heartbeat.overdue");
        await using var scheduler = new HeartbeatScheduler(null, broken.Factory, telemetry, new HeartbeatSchedulerOptions { StandbyThreadCount = 1 });
        HeartbeatOptions Options(string name, TimeSpan? timeout = null, int driftWarningMs = 50) => new()
        {
            Mode = HeartbeatMode.FixedRate,
            Interval = Interval,
            Name = name,
            Timeout = timeout,
            DriftWarningThreshold = TimeSpan.FromMilliseconds(driftWarningMs),
            BlockedCallbackThreshold = TimeSpan.FromMilliseconds(150),
        };

        var healthy = new Recorder();
        using var healthyRegistration = scheduler.Register(Options("healthy"), healthy.Send);
        // Warning 2005 on the timer thread, and on the thread pool where an asynchronous send completes.
        using var thrower = scheduler.Register(Options("thrower"), _ => throw new InvalidOperationException("the send failed"));
        using var asyncThrower = scheduler.Register(Options("async-thrower"), static async _ =>
        {
            await Task.Delay(1);
            throw new IOException("the asynchronous send failed");
        });
        // Warning 2006 (blocked), 2010 (the standby takes the timer loop over), then 2002 for its late next heartbeat.
        var blockerCalls = 0;
        using var blocker = scheduler.Register(Options("blocker", driftWarningMs: 20), _ =>
        {
            if (Interlocked.Increment(ref blockerCalls) == 2)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(600));
            }

            return ValueTask.CompletedTask;
        });
        // Warning 2008: nothing heard from the peer for longer than its Timeout.
        using var silent = scheduler.Register(Options("silent", timeout: TimeSpan.FromMilliseconds(300)), static _ => ValueTask.CompletedTask);
        // Warning 2014 on the overdue watch's thread: the application's own heartbeat stops after its first.
        using var monitor = new DriftMonitor(new HeartbeatOptions { Name = "own-timer", Interval = Interval, DriftWarningThreshold = TimeSpan.FromMilliseconds(50) }, null, broken.Factory, monitorTelemetry);
        monitor.RecordSentNow(TimeProvider.System.GetTimestamp());
        using var watch = monitor.WatchForOverdue();
        // Warning 2002 on the application's thread that records a late heartbeat.
        var now = TimeProvider.System.GetTimestamp();
        var onRecord = Record.Exception(() => monitor.Record(now - (long)(0.5 * TimeProvider.System.TimestampFrequency), now));

        await Task.Delay(TimeSpan.FromSeconds(2), cancellation); // every warning above has been logged by now, on a quiet machine well before
        var sentBefore = healthyRegistration.GetStatistics().Sent;
        await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        var sentAfter = healthyRegistration.GetStatistics().Sent;

        LibraryThreadFailures.Snapshot().Should().BeEmpty("a logger that throws must not end a thread of the library (which ends the process)");
        (sentAfter - sentBefore).Should().BeGreaterThanOrEqualTo(5, "the healthy registration keeps its 100 ms rate after every failed log (10 a second; half of that on a loaded machine)");
        thrower.GetStatistics().Failed.Should().BeGreaterThan(10, "the failing registration is retried every interval");
        asyncThrower.GetStatistics().Failed.Should().BeGreaterThan(10, "the asynchronous one too, whose failures complete on the thread pool");
        blocker.GetStatistics().Blocked.Should().Be(1);
        blocker.GetStatistics().Sent.Should().BeGreaterThan(10, "the blocked registration sends again after its block");
        silent.GetStatistics().PeerDead.Should().BeTrue();
        onRecord.Should().BeNull("recording a late heartbeat does not throw the logger's exception: a logging failure is not the heartbeat's");
        overdue.GetMeasurementSnapshot().Should().NotBeEmpty("the overdue watch saw the stall");

        // Stopped, and settled: every record the logger threw on is counted, once.
        watch.Dispose();
        await scheduler.DisposeAsync();
        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
        broken.Records.Should().BeGreaterThan(20, "every warning above went to the broken logger");
        (logFailed.GetMeasurementSnapshot().Sum(m => m.Value) + monitorLogFailed.GetMeasurementSnapshot().Sum(m => m.Value)).Should().Be(broken.Records, "every record the logger threw on is counted");
        monitorLogFailed.GetMeasurementSnapshot().Should().NotBeEmpty("the monitor counts on its own meter");
        LibraryThreadFailures.Snapshot().Should().BeEmpty();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolStarvationGroup
{
    public const string Name = "Thread-pool starvation (runs alone)";
}

/// <summary>The case of CASE.md reproduced with real sockets: thread-pool starvation behind a 2 s idle timeout.</summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class StarvationCaseTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly byte[] Payload = "\n"u8.ToArray();

    [Fact]
    public async Task Heartbeats_ThreadPoolFlooded_SchedulerConnectionSurvivesAndPeriodicTimerIsKilledWithCause()
    {
        using var proxy = new IdleClosingProxy(IdleTimeout);
        using var telemetry = new TestTelemetry();
        var options = new HeartbeatOptions
        {
            Mode = HeartbeatMode.FixedRate,
            Interval = Interval,
            PeerIdleTimeout = IdleTimeout,
            DriftWarningThreshold = TimeSpan.FromMilliseconds(250),
            Name = "scheduler",
        };

        // Ours: dedicated threads.
        using var ours = proxy.Connect();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        using var registration = scheduler.RegisterSocket(ours, Payload, options);

        // Theirs: the classic PeriodicTimer loop on the thread pool, watched by DriftMonitor.
        using var theirs = proxy.Connect();
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = Interval, PeerIdleTimeout = IdleTimeout, Name = "periodic-timer" }, null, telemetry, telemetry);
        var reports = new ConcurrentQueue<HeartbeatLatenessReport>();
        using var stop = new CancellationTokenSource();
        var periodic = Task.Run(() => PeriodicTimerHeartbeatAsync(theirs, monitor, reports, stop.Token), TestContext.Current.CancellationToken);

        var started = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var floodEnd = ThreadPoolFlood.Start(TimeSpan.FromSeconds(5), workItems: 200, out var maxWorkers, out var maxIo);
        try
        {
            // 10 x the idle timeout (the awaits here are starved too, so poll a monotonic clock).
            var survivalEnd = started + (long)(IdleTimeout.TotalSeconds * 10 * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < survivalEnd)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
        }

        await stop.CancelAsync();
        await periodic;
        floodEnd.Should().BeBefore(DateTime.UtcNow);

        var oursKey = ours.LocalEndPoint!.ToString()!;
        var theirsKey = theirs.LocalEndPoint!.ToString()!;
        proxy.ClosedForIdleness.Should().NotContainKey(oursKey, "our heartbeats come from threads the flood cannot starve");
        proxy.LongestSilence[oursKey].Should().BeLessThan(IdleTimeout);
        ours.Send(Payload).Should().Be(1);
        var statistics = registration.GetStatistics();
        statistics.Sent.Should().BeGreaterThanOrEqualTo(18);
        statistics.Failed.Should().Be(0);
        statistics.MaxLateness.Should().BeLessThan(IdleTimeout - Interval, "no heartbeat may be later than the budget");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded).Should().NotContain(r => r.Message.Contains("'scheduler'", StringComparison.Ordinal));

        proxy.ClosedForIdleness.Should().ContainKey(theirsKey, "the PeriodicTimer heartbeat waited behind the flooded thread pool");
        var late = reports.Where(r => r.Lateness > IdleTimeout - Interval).ToList();
        late.Should().NotBeEmpty();
        late.Should().Contain(r => r.Cause == HeartbeatDelayCause.ThreadPoolStarvation && r.BudgetExceeded);
        monitor.GetStatistics().LastDelayCause.Should().NotBe(HeartbeatDelayCause.None);
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatBudgetExceeded)
            .Should().Contain(r => r.Message.Contains("'periodic-timer'", StringComparison.Ordinal) && r.Message.Contains("ThreadPoolStarvation", StringComparison.Ordinal));
    }

    private static async Task PeriodicTimerHeartbeatAsync(Socket socket, DriftMonitor monitor, ConcurrentQueue<HeartbeatLatenessReport> reports, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var period = time.GetTimestamp() is var t0 ? (long)(Interval.TotalSeconds * time.TimestampFrequency) : 0;
        using var timer = new PeriodicTimer(Interval);
        long lastSlot = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var sent = time.GetTimestamp();
                var due = t0 + ((lastSlot + 1) * period); // the earliest tick this one stands for
                lastSlot = Math.Max(lastSlot + 1, (sent - t0) / period);
                try
                {
                    socket.Send(Payload);
                    reports.Enqueue(monitor.Record(due, sent, time.GetTimestamp()));
                }
                catch (SocketException exception)
                {
                    reports.Enqueue(monitor.RecordFailure(due, sent, exception));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

using System.Diagnostics;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Causes named from what really happened to the process. Runs alone: it starves the pool and stops the process.</summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class RuntimeCauseTests
{
    [Fact]
    public async Task SocketHeartbeat_CallbackHopsOntoAStarvedPoolBeforeSending_LateWithThreadPoolStarvation()
    {
        using var pair = LoopbackConnection.Open();
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var send = SocketHeartbeat.Create(pair.Client, "PING\n"u8.ToArray());
        var delayed = new List<HeartbeatDelayedEventArgs>();
        using var registration = scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(200), DriftWarningThreshold = TimeSpan.FromMilliseconds(300), Name = "hop" },
            async context =>
            {
                await Task.Yield(); // the mistake: the send hops onto the thread pool first
                await send(context);
            });
        registration.Delayed += (_, e) => { lock (delayed) { delayed.Add(e); } };
        SpinWait.SpinUntil(() => registration.GetStatistics().Sent >= 2, TimeSpan.FromSeconds(5)).Should().BeTrue();

        var end = ThreadPoolFlood.Start(TimeSpan.FromSeconds(2), workItems: 100, out var maxWorkers, out var maxIo);
        try
        {
            Thread.Sleep(end - DateTime.UtcNow + TimeSpan.FromMilliseconds(200));
            SpinWait.SpinUntil(() => Count(delayed) > 0, TimeSpan.FromSeconds(5)).Should().BeTrue("the Delayed event is raised after the counters are updated");
        }
        finally
        {
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
        }

        lock (delayed)
        {
            delayed.Should().Contain(e => e.Cause == HeartbeatDelayCause.ThreadPoolStarvation && e.Lateness >= TimeSpan.FromSeconds(1),
                "the lateness is measured when the send reaches the kernel, after the hop, not when it was dispatched");
        }

        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatLate).Should().Contain(r => r.Message.Contains("ThreadPoolStarvation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scheduler_WholeProcessStoppedForTwoSeconds_LateHeartbeatsAttributedToProcessPaused()
    {
        TestEnvironment.RequireLinux();
        TestEnvironment.Require(File.Exists("/bin/sh"), "/bin/sh is needed to stop and continue this process");
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        var delayed = new List<HeartbeatDelayedEventArgs>();
        using var registration = scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100), DriftWarningThreshold = TimeSpan.FromMilliseconds(500), Name = "frozen" },
            _ => ValueTask.CompletedTask);
        registration.Delayed += (_, e) => { lock (delayed) { delayed.Add(e); } };

        using var freezer = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep 0.5; kill -STOP {Environment.ProcessId}; sleep 2; kill -CONT {Environment.ProcessId}"]))!;
        await freezer.WaitForExitAsync(TestContext.Current.CancellationToken);
        freezer.ExitCode.Should().Be(0);
        SpinWait.SpinUntil(() => Snapshot(delayed).Any(e => e.Lateness >= TimeSpan.FromSeconds(1.5)), TimeSpan.FromSeconds(5))
            .Should().BeTrue("the heartbeat due during the freeze left about 2 s late (the event is raised after the counters)");

        lock (delayed)
        {
            delayed.Should().Contain(e => e.Lateness >= TimeSpan.FromSeconds(1.5))
                .Which.Cause.Should().Be(HeartbeatDelayCause.ProcessPaused, "the timer thread itself woke 2 s late without a GC: the process was stopped");
        }
    }

    private static int Count(List<HeartbeatDelayedEventArgs> events) => Snapshot(events).Length;

    private static HeartbeatDelayedEventArgs[] Snapshot(List<HeartbeatDelayedEventArgs> events)
    {
        lock (events)
        {
            return [.. events];
        }
    }
}

using System.Diagnostics;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>A blocked callback holds up the others only for the scheduler's takeover threshold, whatever its own options say.</summary>
public sealed class TakeoverTests
{
    [Fact]
    public async Task Scheduler_CallbackBlocksWithATenSecondBlockedThreshold_OthersRecoverAtTheSchedulersThreshold()
    {
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        using var release = new ManualResetEventSlim();
        using var blocker = scheduler.Register(
            new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100), BlockedCallbackThreshold = TimeSpan.FromSeconds(10), Name = "blocker" },
            _ =>
            {
                release.Wait();
                return ValueTask.CompletedTask;
            });
        using var healthy = scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100), Name = "healthy" }, _ => ValueTask.CompletedTask);

        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var statistics = healthy.GetStatistics();
        release.Set();

        statistics.Sent.Should().BeGreaterThanOrEqualTo(14, "about 20 were due in 2 s; one registration's 10 s threshold must not stall the others");
        statistics.MaxLateness.Should().BeLessThan(TimeSpan.FromMilliseconds(600), "the standby takes over at the scheduler's 50 ms takeover threshold; one at 1 s (the default BlockedCallbackThreshold, the longest TakeoverThreshold) is 900 ms late or more");
        telemetry.LogsWithId(KeepAliveEventIds.HeartbeatTimerTakenOver).Should().NotBeEmpty()
            .And.OnlyContain(r => r.Message.Contains("'blocker'", StringComparison.Ordinal), "only the blocker held a thread (a loaded machine may preempt it once more after it is released)");
        var takeover = telemetry.LogsWithId(KeepAliveEventIds.HeartbeatTimerTakenOver)[0];
        var held = KeepAliveDuration.FormatMeasured(TimeSpan.FromMilliseconds(takeover.ShouldKeepMilliseconds("HeldMs")));
        takeover.ShouldWriteDurations(held);
        takeover.Message.Should().Contain($"held the timer thread for {held}, past");
        blocker.GetStatistics().Blocked.Should().Be(0, "reported blocked only at its own 10 s threshold");
    }

    [Fact]
    public async Task Dispose_WhileACallbackBlocks_ReturnsAtOnceAndNoOtherCallbackStarts()
    {
        var scheduler = new HeartbeatScheduler();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var calls = 0;
        scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100) }, _ =>
        {
            Interlocked.Increment(ref calls);
            entered.Set();
            release.Wait();
            return ValueTask.CompletedTask;
        });
        var others = 0;
        scheduler.Register(new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromMilliseconds(100) }, _ =>
        {
            Interlocked.Increment(ref others);
            return ValueTask.CompletedTask;
        });
        entered.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken).Should().BeTrue();

        // A Dispose that waited for the blocked callback would wait for ever (the test releases it only after Dispose returns):
        // this releases it after 5 s, so such a Dispose fails the bound below instead of hanging the run.
        using var unblock = new Timer(_ => release.Set(), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        var disposing = Stopwatch.StartNew();
        await scheduler.DisposeAsync();
        disposing.Elapsed.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "Dispose signals the threads and returns; it does not wait for a blocked callback (nor for a second or more, as a bounded join would)");
        var settled = Volatile.Read(ref others);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        release.Set();
        await Task.Delay(200, TestContext.Current.CancellationToken);

        Volatile.Read(ref others).Should().Be(settled, "no heartbeat starts after Dispose returned");
        Volatile.Read(ref calls).Should().Be(1);
    }

    [Fact]
    public async Task Scheduler_OnlyCallbackBlocksThenAnotherRegisters_TheNewOneKeepsItsScheduleAndTheBlockedOneIsReportedAndDeclaredDead()
    {
        // Nothing else is due when the one callback blocks, so no takeover is needed then; a registration made afterwards is
        // posted to the loop, which the stuck owner does not read.
        using var telemetry = new TestTelemetry();
        await using var scheduler = new HeartbeatScheduler(null, telemetry, telemetry);
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var dead = 0;
        using var blocker = scheduler.Register(
            new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(500), BlockedCallbackThreshold = TimeSpan.FromMilliseconds(200), Name = "blocker" },
            _ =>
            {
                entered.Set();
                release.Wait();
                return ValueTask.CompletedTask;
            });
        blocker.PeerDead += (_, _) => Interlocked.Increment(ref dead);
        entered.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken).Should().BeTrue();
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);

        using var later = scheduler.Register(new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(100), Name = "later" }, _ => ValueTask.CompletedTask);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var statistics = later.GetStatistics();
        var (blocked, peerDead) = (blocker.GetStatistics().Blocked, Volatile.Read(ref dead));
        release.Set();

        statistics.Sent.Should().BeGreaterThanOrEqualTo(10, "about 19 were due in 2 s; a callback blocked before it registered must not stall it");
        blocked.Should().Be(1, "the blocked callback is reported at its own 200 ms threshold while it blocks (event 2006)");
        peerDead.Should().Be(1, "its peer was silent past its 500 ms timeout");
    }
}

using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// docs/CASE.md's stall, seen by the health check while it goes on: the application's own heartbeat timer, reported through a
/// watched <see cref="DriftMonitor"/>, has not fired by its expected time plus the lateness threshold. Its lateness is
/// recorded only when it finally leaves; the watch counts it as overdue now, and the check reads that.
/// </summary>
public sealed class HealthOverdueTests
{
    [Fact]
    public async Task CheckHealth_WatchedHeartbeatOverdueAndStillWaiting_DegradedBeforeItIsRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StartPaymentsAsync(TimeSpan.FromMilliseconds(100));
        using var monitor = HealthHosts.Monitor(host, "payments");
        monitor.RecordSentNow(Stopwatch.GetTimestamp()); // one heartbeat, then the timer stalls
        using var watch = monitor.WatchForOverdue();

        var entry = await HealthHosts.CheckAsync(host);
        entry.Status.Should().Be(HealthStatus.Healthy, "nothing is overdue yet: " + entry.Description);
        for (var waited = TimeSpan.Zero; entry.Status == HealthStatus.Healthy && waited < TimeSpan.FromSeconds(15); waited += TimeSpan.FromMilliseconds(50))
        {
            await Task.Delay(50, ct);
            entry = await HealthHosts.CheckAsync(host);
        }

        entry.Status.Should().Be(HealthStatus.Degraded, "the heartbeat expected 200 ms after the last one has not come 200 ms + 100 ms later: a stall going on now");
        entry.Data["payments:HeartbeatsOverdue"].Should().Be(1L, "one stall, said once");
        entry.Data["payments:Heartbeats"].Should().Be(1L, "the stalled heartbeat was never recorded: its lateness cannot show yet");
        entry.Description.Should().Contain("payments: 1 heartbeat overdue").And.Contain("Heartbeat:Interval (200ms)").And.Contain("Heartbeat:DriftWarningThreshold (100ms");
    }

    [Fact]
    public async Task CheckHealth_WatchedHeartbeatRecordedOnTime_HealthyWithNothingOverdue()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StartPaymentsAsync(TimeSpan.FromSeconds(1)); // a tick of a noisy machine may be late, not a second late
        using var monitor = HealthHosts.Monitor(host, "payments");
        using var watch = monitor.WatchForOverdue();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 6; i++)
        {
            var due = Stopwatch.GetTimestamp();
            monitor.RecordSentNow(due);
            await timer.WaitForNextTickAsync(ct);
        }

        var entry = await HealthHosts.CheckAsync(host);
        entry.Data["payments:HeartbeatsOverdue"].Should().Be(0L, entry.Description);
        entry.Description.Should().NotContain("overdue");
    }

    /// <summary>A profile beating every 200 ms behind a 60 s peer idle timeout, late from <paramref name="lateFrom"/>.</summary>
    private static Task<Microsoft.Extensions.Hosting.IHost> StartPaymentsAsync(TimeSpan lateFrom) => HealthHosts.StartAsync(s =>
    {
        s.AddKeepAlive("payments", o =>
        {
            o.Heartbeat.Interval = TimeSpan.FromMilliseconds(200);
            o.Heartbeat.PeerIdleTimeout = TimeSpan.FromSeconds(60);
            o.Heartbeat.DriftWarningThreshold = lateFrom;
        });
        s.AddHealthChecks().AddKeepAlive();
    });
}

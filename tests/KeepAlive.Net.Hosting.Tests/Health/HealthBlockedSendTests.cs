using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeepAlive.Net.Hosting.Tests.Health;

/// <summary>
/// A stall still in progress: lateness is recorded when a heartbeat leaves, so a send that has not returned shows in no
/// lateness yet. The scheduler reports it as blocked once it passes <see cref="HeartbeatOptions.BlockedCallbackThreshold"/>,
/// while it is still running, and the check reads that.
/// </summary>
public sealed class HealthBlockedSendTests
{
    [Fact]
    public async Task CheckHealth_SendBlockedAndStillRunning_DegradedNamingTheThresholdBeforeItReturns()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StartPaymentsAsync(TimeSpan.FromMilliseconds(200));
        var blocked = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Heartbeat;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        using var registration = host.Services.GetRequiredService<IHeartbeatScheduler>().Register(blocked, _ =>
        {
            Interlocked.Increment(ref started);
            return new ValueTask(release.Task); // the send never returns until the test lets it
        });

        try
        {
            var entry = await HealthHosts.CheckAsync(host);
            for (var waited = TimeSpan.Zero; entry.Status == HealthStatus.Healthy && waited < TimeSpan.FromSeconds(15); waited += TimeSpan.FromMilliseconds(50))
            {
                await Task.Delay(50, ct);
                entry = await HealthHosts.CheckAsync(host);
            }

            release.Task.IsCompleted.Should().BeFalse("the send is still running");
            Volatile.Read(ref started).Should().Be(1, "the one send has not returned, so no other heartbeat of this registration started");
            entry.Status.Should().Be(HealthStatus.Degraded, "a heartbeat send blocked now is a heartbeat that is not leaving: lateness shows only when it does");
            entry.Data["payments:SendsBlocked"].Should().Be(1L);
            entry.Description.Should().Contain("payments: 1 heartbeat send ran past Heartbeat:BlockedCallbackThreshold (200ms)");
        }
        finally
        {
            release.SetResult();
        }
    }

    [Fact]
    public async Task CheckHealth_SendsWithinTheirThreshold_HealthyWithNoSendBlocked()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await StartPaymentsAsync(TimeSpan.FromSeconds(1));
        var sent = 0;
        using var registration = host.Services.GetRequiredService<IHeartbeatScheduler>().Register(
            host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments").Heartbeat,
            _ =>
            {
                Interlocked.Increment(ref sent);
                return ValueTask.CompletedTask;
            });

        while (Volatile.Read(ref sent) < 3)
        {
            await Task.Delay(50, ct);
        }

        var entry = await HealthHosts.CheckAsync(host);
        entry.Status.Should().Be(HealthStatus.Healthy, entry.Description);
        entry.Data["payments:SendsBlocked"].Should().Be(0L);
    }

    /// <summary>A profile beating every 100 ms behind a 60 s peer idle timeout, whose sends count as blocked past <paramref name="blockedThreshold"/>.</summary>
    private static Task<Microsoft.Extensions.Hosting.IHost> StartPaymentsAsync(TimeSpan blockedThreshold) => HealthHosts.StartAsync(s =>
    {
        s.AddKeepAlive("payments", o =>
        {
            o.Heartbeat.Interval = TimeSpan.FromMilliseconds(100);
            o.Heartbeat.PeerIdleTimeout = TimeSpan.FromSeconds(60);
            o.Heartbeat.BlockedCallbackThreshold = blockedThreshold;
        });
        s.AddHealthChecks().AddKeepAlive();
    });
}

using System.Diagnostics;
using KeepAlive.Net.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeepAlive.Net.Hosting.Tests.Health;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HealthStarvationGroup
{
    public const string Name = "Health under thread-pool starvation (runs alone)";
}

/// <summary>
/// The case of CASE.md seen by the health check: two hosts in one process, each judging its own telemetry. One sends
/// its heartbeat with a PeriodicTimer (thread pool) reported through DriftMonitor, the other with HeartbeatScheduler.
/// </summary>
[Collection(HealthStarvationGroup.Name)]
public sealed class HealthUnderStarvationTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PeerIdle = TimeSpan.FromSeconds(4); // idle budget 3 s, Degraded above 1.5 s

    [Fact]
    public async Task CheckHealth_ThreadPoolStarved_PeriodicTimerHostDegradedAndSchedulerHostHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        using var ours = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "ours", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive();
        });
        using var theirs = await HealthHosts.StartAsync(s =>
        {
            HealthHosts.Profile(s, "theirs", Interval, PeerIdle);
            s.AddHealthChecks().AddKeepAlive();
        });
        var options = ours.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("ours").Heartbeat;
        options.Mode = HeartbeatMode.FixedRate;
        using var registration = ours.Services.GetRequiredService<IHeartbeatScheduler>().Register(options, _ => ValueTask.CompletedTask);
        using var monitor = HealthHosts.Monitor(theirs, "theirs");
        using var stop = new CancellationTokenSource();
        var periodic = Task.Run(() => PeriodicTimerHeartbeatAsync(monitor, stop.Token), ct);

        await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
        (await HealthHosts.CheckAsync(theirs)).Status.Should().Be(HealthStatus.Healthy, "before the flood the PeriodicTimer is on time");

        ThreadPoolFlood.Start(TimeSpan.FromSeconds(5), workItems: 200, out var maxWorkers, out var maxIo);
        try
        {
            var end = Stopwatch.GetTimestamp() + (9 * Stopwatch.Frequency); // the flood, then time for the late tick to be reported
            while (Stopwatch.GetTimestamp() < end)
            {
                await Task.Delay(200, ct);
            }
        }
        finally
        {
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
        }

        await stop.CancelAsync();
        await periodic;
        var degraded = await HealthHosts.CheckAsync(theirs);
        var healthy = await HealthHosts.CheckAsync(ours);

        degraded.Status.Should().Be(HealthStatus.Degraded, degraded.Description);
        ((double)degraded.Data["theirs:BudgetUsed"]).Should().BeGreaterThan(0.5);
        degraded.Data["theirs:MaxLatenessCause"].Should().NotBe("none");
        degraded.Description.Should().MatchRegex(@"theirs: a heartbeat was [0-9smu]+ late \(cause [a-z_]+\), \d+% of the idle budget of 2s500ms");
        healthy.Status.Should().Be(HealthStatus.Healthy, healthy.Description);
        ((long)healthy.Data["ours:Heartbeats"]).Should().BeGreaterThanOrEqualTo(8, "our heartbeats kept coming during the flood");
        ((double)healthy.Data["ours:BudgetUsed"]).Should().BeLessThan(0.5);
    }

    private static async Task PeriodicTimerHeartbeatAsync(DriftMonitor monitor, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var t0 = time.GetTimestamp();
        var period = (long)(Interval.TotalSeconds * time.TimestampFrequency);
        using var timer = new PeriodicTimer(Interval);
        long slot = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var sent = time.GetTimestamp();
                monitor.Record(t0 + ((slot + 1) * period), sent); // due: the earliest tick this one stands for
                slot = Math.Max(slot + 1, (sent - t0) / period);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Hosting.Tests;

public sealed class HeartbeatSchedulerHostingTests
{
    private const string Json = """
        { "KeepAlive": { "Profiles": { "payments": { "Heartbeat": { "Interval": "00:00:10", "PeerIdleTimeout": "AwsNlb" } } } } }
        """;

    [Fact]
    public async Task AddKeepAlive_Scheduler_IsOneSingletonForBothServiceTypes()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var scheduler = host.Services.GetRequiredService<IHeartbeatScheduler>();

        scheduler.Should().BeSameAs(host.Services.GetRequiredService<HeartbeatScheduler>());
        scheduler.Should().BeSameAs(host.Services.GetRequiredService<IHeartbeatScheduler>());
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Scheduler_UsesHostTimeProviderLoggerFactoryAndMeterFactory()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = TestHosts.Build(Json, (services, configuration) =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddLogging(logging => logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
            services.AddMetrics();
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        using var sent = new MetricCollector<long>(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "KeepAlive.Net", "keepalive.heartbeat.sent");
        var profile = host.Services.GetRequiredService<IKeepAliveProfiles>().GetProfile("payments");
        var beats = 0;
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var registration = host.Services.GetRequiredService<IHeartbeatScheduler>().Register(profile.Heartbeat, _ =>
        {
            Interlocked.Increment(ref beats);
            first.TrySetResult();
            return ValueTask.CompletedTask;
        });
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Volatile.Read(ref beats).Should().Be(0, "the fake clock has not moved, so no heartbeat is due");
        time.Advance(TimeSpan.FromSeconds(10));
        await first.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        await WaitUntilAsync(() => sent.GetMeasurementSnapshot().Count > 0);
        sent.GetMeasurementSnapshot().Should().Contain(m => m.Value == 1 && Equals(m.Tags["keepalive.heartbeat.name"], "payments"));
        host.Services.GetFakeLogCollector().GetSnapshot()
            .Should().Contain(r => r.Id.Id == KeepAliveEventIds.HeartbeatRegistered && r.Message.Contains("'payments'", StringComparison.Ordinal));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StopAsync_RunningHeartbeats_NoSendAfterStopAndRegisterThrows()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        var scheduler = host.Services.GetRequiredService<IHeartbeatScheduler>();
        var options = new HeartbeatOptions { Interval = TimeSpan.FromMilliseconds(20), Mode = HeartbeatMode.FixedRate };
        var beats = 0;
        var registration = scheduler.Register(options, _ =>
        {
            Interlocked.Increment(ref beats);
            return ValueTask.CompletedTask;
        });
        await WaitUntilAsync(() => Volatile.Read(ref beats) >= 3);

        await host.StopAsync(TestContext.Current.CancellationToken);
        var atStop = Volatile.Read(ref beats);
        await Task.Delay(200, TestContext.Current.CancellationToken);

        Volatile.Read(ref beats).Should().Be(atStop, "no heartbeat is sent after the host stopped");
        var act = () => scheduler.Register(options, _ => ValueTask.CompletedTask);
        act.Should().Throw<ObjectDisposedException>();
        var resolveAgain = () => host.Services.GetRequiredService<KeepAlive.Net.Hosting.Heartbeats.HeartbeatSchedulerHost>().Scheduler;
        resolveAgain.Should().Throw<ObjectDisposedException>("a stopped host does not start a new scheduler");
        registration.Dispose();
    }

    [Fact]
    public async Task StopAsync_SchedulerNeverUsed_StopsWithoutCreatingIt()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var stop = () => host.StopAsync(TestContext.Current.CancellationToken);

        await stop.Should().NotThrowAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within 10 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task StartAsync_InvalidSchedulerThreadSettings_HostDoesNotStartAndNamesTheValueAndTheFix()
    {
        // The scheduler is built on first use: without a start-up check the host started and the first registration threw.
        var ex = await TestHosts.StartFailingAsync(Json, (services, configuration) =>
        {
            services.AddKeepAlive(configuration.GetSection("KeepAlive"));
            services.Configure<HeartbeatSchedulerOptions>(o => o.TakeoverThreshold = TimeSpan.Zero);
        });

        ex.Should().BeOfType<Microsoft.Extensions.Options.OptionsValidationException>().Which.Message.Should()
            .Contain("HeartbeatSchedulerOptions.TakeoverThreshold").And.Contain("0s").And.Contain("Fix:");
    }

    [Fact]
    public async Task StopAsync_SchedulerFirstAskedForAfterTheHostStopped_RefusedSayingWhyAndTheFix()
    {
        using var host = TestHosts.Build(Json, (services, configuration) => services.AddKeepAlive(configuration.GetSection("KeepAlive")));
        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        var resolve = () => host.Services.GetRequiredService<IKeepAliveHeartbeats>();

        resolve.Should().Throw<ObjectDisposedException>().WithMessage("*stopped with the host*nothing was registered. Fix:*");
    }
}

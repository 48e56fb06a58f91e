using Microsoft.Extensions.Time.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>A scheduler without threads, stepped deterministically on a FakeTimeProvider.</summary>
internal sealed class ManualScheduler : IDisposable
{
    /// <summary>One second: the usual interval of the logic tests.</summary>
    public static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>The step by which logic tests advance the fake clock.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    public ManualScheduler()
    {
        Scheduler = new HeartbeatScheduler(Clock, Telemetry, Telemetry, null, startThreads: false);
    }

    /// <summary>The clock the scheduler reads; its wall clock can jump without moving timestamps.</summary>
    public SystemLikeFakeTimeProvider Clock { get; } = new();

    public FakeTimeProvider Time => Clock.Monotonic;

    public TestTelemetry Telemetry { get; } = new();

    public HeartbeatScheduler Scheduler { get; }

    /// <summary>Advances the clock by <paramref name="total"/> in steps, running due work after each step.</summary>
    public void Step(TimeSpan total, TimeSpan step)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += step)
        {
            Time.Advance(step);
            Scheduler.RunDue();
        }
    }

    /// <summary>Jumps the clock at once (a stall), then runs due work.</summary>
    public int Jump(TimeSpan delta)
    {
        Time.Advance(delta);
        return Scheduler.RunDue();
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Telemetry.Dispose();
    }
}

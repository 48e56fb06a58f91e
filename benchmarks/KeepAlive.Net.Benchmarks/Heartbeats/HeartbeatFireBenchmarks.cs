using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>
/// The cost of firing one heartbeat with 1,000, 100,000 and 1,000,000 registrations in the scheduler. A scheduler
/// without threads on a manual clock: registrations are spread evenly over a 1 s interval, and each invocation
/// moves the clock just far enough for <see cref="FiresPerInvoke"/> of them to fall due, then runs them on this
/// thread through the scheduler's own fire path (pop from the timer heap, state changes, the callback, lateness
/// accounting, re-insert). Not included: the hand-off from the timer thread to a dispatcher thread.
/// The baseline invokes the same callback directly: the user's part, which the target excludes.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "BenchmarkDotNet needs an unsealed class and disposes in [GlobalCleanup].")]
public class HeartbeatFireBenchmarks
{
    /// <summary>Heartbeats fired per benchmark invocation; the reported time and bytes are per heartbeat.</summary>
    public const int FiresPerInvoke = 100;

    private static readonly Func<HeartbeatContext, ValueTask> Send = static _ => ValueTask.CompletedTask;

    private ManualClock? _clock;
    private HeartbeatScheduler? _scheduler;
    private HeartbeatRegistration? _sample;
    private long _step;

    /// <summary>Gets or sets how many registrations the scheduler holds.</summary>
    [Params(1_000, 100_000, 1_000_000)]
    public int Registrations { get; set; }

    /// <summary>Registers <see cref="Registrations"/> heartbeats, spread evenly over one interval.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _clock = new ManualClock();
        _scheduler = new HeartbeatScheduler(_clock, loggerFactory: null, meterFactory: null, options: null, startThreads: false);
        var options = new HeartbeatOptions { Mode = HeartbeatMode.FixedRate, Interval = TimeSpan.FromSeconds(1) };
        _step = ManualClock.TicksPerSecond / Registrations;
        for (var i = 0; i < Registrations; i++)
        {
            _sample = _scheduler.Register(options, Send);
            _clock.Advance(_step);
        }
    }

    /// <summary>Stops the scheduler.</summary>
    [GlobalCleanup]
    public void Cleanup() => _scheduler?.Dispose();

    /// <summary>The user's callback alone, called directly.</summary>
    /// <returns>How many callbacks completed.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = FiresPerInvoke)]
    public int CallbackOnly()
    {
        var context = new HeartbeatContext(_sample!, 0, 0, 0, _clock!);
        var completed = 0;
        for (var i = 0; i < FiresPerInvoke; i++)
        {
            completed += CompletedSynchronously(Send(context));
        }

        return completed;
    }

    /// <summary>The scheduler's fire path for the heartbeats that fell due.</summary>
    /// <returns>How many heartbeats were fired.</returns>
    [Benchmark(OperationsPerInvoke = FiresPerInvoke)]
    public int Fire()
    {
        _clock!.Advance(_step * FiresPerInvoke);
        return _scheduler!.RunDue();
    }

    private static int CompletedSynchronously(ValueTask task) => task.IsCompletedSuccessfully ? 1 : 0;
}

using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>
/// Registering a heartbeat and disposing the registration, in a running scheduler that already holds
/// <see cref="Background"/> registrations, against creating and disposing a periodic <see cref="Timer"/>.
/// Intervals are an hour, so nothing fires while it is measured.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "BenchmarkDotNet needs an unsealed class and disposes in [GlobalCleanup].")]
public class RegisterDisposeBenchmarks
{
    /// <summary>Registrations already in the scheduler, so the timer heap has a realistic depth.</summary>
    public const int Background = 10_000;

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly Func<HeartbeatContext, ValueTask> Send = static _ => ValueTask.CompletedTask;
    private static readonly TimerCallback Tick = static _ => { };

    private readonly HeartbeatOptions _options = new() { Mode = HeartbeatMode.FixedRate, Interval = Interval };
    private readonly List<HeartbeatRegistration> _background = [];
    private HeartbeatScheduler? _scheduler;

    /// <summary>Starts the scheduler and fills it.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scheduler = new HeartbeatScheduler();
        for (var i = 0; i < Background; i++)
        {
            _background.Add(_scheduler.Register(_options, Send));
        }
    }

    /// <summary>Stops the scheduler.</summary>
    [GlobalCleanup]
    public void Cleanup() => _scheduler?.Dispose();

    /// <summary>A periodic thread-pool timer created and disposed.</summary>
    [Benchmark(Baseline = true)]
    public void TimerCreateDispose()
    {
        using var timer = new Timer(Tick, null, Interval, Interval);
    }

    /// <summary>A heartbeat registered and its registration disposed.</summary>
    [Benchmark]
    public void RegisterDispose()
    {
        using var registration = _scheduler!.Register(_options, Send);
    }
}

using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>
/// KeepAlive.Net's <see cref="HeartbeatScheduler"/> with default settings, one <see cref="HeartbeatMode.FixedRate"/>
/// registration per heartbeat, through the public API only. The callback calls the beat, then, when
/// <paramref name="sendFor"/> is given, that registration's send (the soak's socket heartbeat); otherwise it
/// completes synchronously.
/// </summary>
internal sealed class SchedulerContender(int registrations, TimeSpan interval, Action<int> beat, Func<int, Func<HeartbeatContext, ValueTask>>? sendFor = null, string name = "KeepAlive.Net")
    : Contender(name, registrations, interval, beat)
{
    private readonly HeartbeatScheduler _scheduler = new();
    private readonly HeartbeatRegistration?[] _registrations = new HeartbeatRegistration?[registrations];
    private readonly HeartbeatOptions _options = new() { Mode = HeartbeatMode.FixedRate, Interval = interval };

    public override bool IsOurs => true;

    private static readonly Func<HeartbeatContext, ValueTask> Shared = static _ => ValueTask.CompletedTask;

    public override void Add(int index)
    {
        if (sendFor is null && ReferenceEquals(Beat, NoBeat))
        {
            // Registering only (memory, time): one callback for all, so the bytes counted are the scheduler's, not closures'.
            _registrations[index] = _scheduler.Register(_options, Shared);
            return;
        }

        var beat = Beat;
        var send = sendFor?.Invoke(index);
        _registrations[index] = _scheduler.Register(_options, context =>
        {
            beat(index);
            return send is null ? ValueTask.CompletedTask : send(context);
        });
    }

    public override void Remove(int index)
    {
        _registrations[index]?.Dispose();
        _registrations[index] = null;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var registration in _registrations)
        {
            registration?.Dispose();
        }

        _scheduler.Dispose();
    }
}

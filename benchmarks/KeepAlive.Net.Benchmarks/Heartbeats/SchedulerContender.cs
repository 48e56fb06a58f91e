using KeepAlive.Net.Benchmarks.Accuracy;

namespace KeepAlive.Net.Benchmarks.Heartbeats;

/// <summary>
/// KeepAlive.Net's <see cref="HeartbeatScheduler"/> with default settings (its own timer and dispatcher threads),
/// one <see cref="HeartbeatMode.FixedRate"/> registration per heartbeat; the callback completes synchronously.
/// </summary>
internal sealed class SchedulerContender(int registrations, TimeSpan interval, Action<int> beat)
    : Contender("KeepAlive.Net", registrations, interval, beat)
{
    private readonly HeartbeatScheduler _scheduler = new();
    private readonly HeartbeatRegistration?[] _registrations = new HeartbeatRegistration?[registrations];
    private readonly HeartbeatOptions _options = new() { Mode = HeartbeatMode.FixedRate, Interval = interval };

    public override bool IsOurs => true;

    public override void Add(int index)
    {
        var beat = Beat;
        _registrations[index] = _scheduler.Register(_options, _ =>
        {
            beat(index);
            return ValueTask.CompletedTask;
        });
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

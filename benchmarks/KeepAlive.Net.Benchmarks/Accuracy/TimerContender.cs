namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>One periodic <see cref="Timer"/> per registration; its callbacks run on the thread pool.</summary>
internal sealed class TimerContender(int registrations, TimeSpan interval, Action<int> beat)
    : Contender("Threading.Timer", registrations, interval, beat)
{
    private readonly Timer?[] _timers = new Timer?[registrations];

    public override void Add(int index)
    {
        var beat = Beat;
        _timers[index] = new Timer(_ => beat(index), null, Interval, Interval);
    }

    public override void Remove(int index)
    {
        _timers[index]?.Dispose();
        _timers[index] = null;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var timer in _timers)
        {
            timer?.Dispose();
        }
    }
}

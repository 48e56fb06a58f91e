namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>One <see cref="PeriodicTimer"/> loop per registration; every tick's continuation needs a thread-pool thread.</summary>
internal sealed class PeriodicTimerContender(int registrations, TimeSpan interval, Action<int> beat)
    : Contender("PeriodicTimer", registrations, interval, beat)
{
    private readonly PeriodicTimer?[] _timers = new PeriodicTimer?[registrations];
    private readonly Task?[] _loops = new Task?[registrations];

    public override void Add(int index)
    {
        var timer = new PeriodicTimer(Interval);
        _timers[index] = timer;
        _loops[index] = RunAsync(timer, index);
    }

    public override void Remove(int index) => _timers[index]?.Dispose();

    protected override void Dispose(bool disposing)
    {
        foreach (var timer in _timers)
        {
            timer?.Dispose();
        }

        WaitForLoops(_loops);
    }

    private async Task RunAsync(PeriodicTimer timer, int index)
    {
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            Beat(index);
        }
    }
}

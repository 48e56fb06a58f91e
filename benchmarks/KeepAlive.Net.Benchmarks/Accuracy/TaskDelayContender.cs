using System.Diagnostics;

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// One <c>await Task.Delay</c> loop per registration. To be fair it waits for the next point of its own
/// schedule rather than a whole interval after each beat, so it does not drift by construction.
/// </summary>
internal sealed class TaskDelayContender(int registrations, TimeSpan interval, Action<int> beat)
    : Contender("Task.Delay loop", registrations, interval, beat)
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task?[] _loops = new Task?[registrations];
    private readonly bool[] _removed = new bool[registrations];

    public override void Add(int index) => _loops[index] = RunAsync(index, _stop.Token);

    public override void Remove(int index) => Volatile.Write(ref _removed[index], true);

    protected override void Dispose(bool disposing)
    {
        _stop.Cancel();
        WaitForLoops(_loops);
        _stop.Dispose();
    }

    private async Task RunAsync(int index, CancellationToken cancellationToken)
    {
        var interval = (long)(Interval.TotalSeconds * Stopwatch.Frequency);
        var next = Stopwatch.GetTimestamp() + interval;
        try
        {
            while (true)
            {
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (remaining >= TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
                }

                if (Volatile.Read(ref _removed[index]))
                {
                    return;
                }

                Beat(index);
                next = PeriodicSchedule.NextDue(next, Stopwatch.GetTimestamp(), interval);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }
}

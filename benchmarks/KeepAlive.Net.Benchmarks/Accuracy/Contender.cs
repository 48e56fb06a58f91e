namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>
/// One way of running N periodic heartbeats. Every registration calls <see cref="Beat"/> with its index
/// at the start of each callback; the harness decides what a beat does (record lateness, send a byte).
/// </summary>
internal abstract class Contender(string name, int registrations, TimeSpan interval, Action<int> beat) : IDisposable
{
    /// <summary>How long <see cref="Dispose"/> waits for loops to end; the load is already stopped by then.</summary>
    protected static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Gets the beat of a run that only registers (memory, registration time): a contender may then share one callback.</summary>
    public static Action<int> NoBeat { get; } = static _ => { };

    public string Name => name;

    public int Registrations => registrations;

    /// <summary>Gets a value indicating whether this is KeepAlive.Net's scheduler, the contender the others are compared with.</summary>
    public virtual bool IsOurs => false;

    protected TimeSpan Interval => interval;

    protected Action<int> Beat => beat;

    /// <summary>Creates registration <paramref name="index"/>; its first beat is due one interval from now.</summary>
    public abstract void Add(int index);

    /// <summary>Stops registration <paramref name="index"/>: no beat of it starts after this returns (one already running may finish).</summary>
    public abstract void Remove(int index);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    protected static void WaitForLoops(Task?[] loops)
    {
        var started = loops.OfType<Task>().ToArray();
        if (!Task.WaitAll(started, StopTimeout))
        {
            throw new TimeoutException($"{started.Count(t => !t.IsCompleted)} heartbeat loops did not stop within {StopTimeout.TotalSeconds} s.");
        }
    }
}

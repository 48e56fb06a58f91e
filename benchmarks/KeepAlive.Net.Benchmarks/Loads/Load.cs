namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>Something that makes the process a worse place for timers while it runs; <see cref="Stop"/> undoes it fully.</summary>
internal abstract class Load : IDisposable
{
    public abstract string Name { get; }

    public abstract void Start();

    /// <summary>Stops the load and waits until its threads have ended.</summary>
    public abstract void Stop();

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    protected static Thread StartThread(string name, Action body, ThreadPriority priority = ThreadPriority.Normal)
    {
        var thread = new Thread(() => body()) { IsBackground = true, Name = name, Priority = priority };
        thread.Start();
        return thread;
    }
}

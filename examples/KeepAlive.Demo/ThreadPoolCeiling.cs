namespace KeepAlive.Demo;

/// <summary>
/// Holds the thread pool at its minimum size for the flood, as a pool that cannot grow fast enough would be
/// (containers with few cores, or a flood larger than the pool's injection rate), and restores it afterwards.
/// </summary>
internal sealed class ThreadPoolCeiling
{
    private readonly int _maxWorkers;
    private readonly int _maxIo;

    private ThreadPoolCeiling(int maxWorkers, int maxIo) => (_maxWorkers, _maxIo) = (maxWorkers, maxIo);

    public static ThreadPoolCeiling Lower()
    {
        ThreadPool.GetMaxThreads(out var maxWorkers, out var maxIo);
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        ThreadPool.SetMaxThreads(Math.Max(minWorkers, Environment.ProcessorCount), maxIo);
        return new ThreadPoolCeiling(maxWorkers, maxIo);
    }

    public void Restore() => ThreadPool.SetMaxThreads(_maxWorkers, _maxIo);
}

namespace KeepAlive.Net.Benchmarks.Loads;

/// <summary>
/// Thread-pool starvation as in the payment incident: a feeder keeps at least <see cref="Backlog"/> work items
/// queued, each blocking its pool thread for up to a second (sync-over-async). The pool adds threads slowly,
/// so every other work item, including timer callbacks and await continuations, waits behind the backlog.
/// </summary>
internal sealed class ThreadPoolStarvationLoad : Load
{
    private const int Backlog = 2_000;
    private static readonly TimeSpan BlockFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FeedEvery = TimeSpan.FromMilliseconds(5);

    private readonly ManualResetEventSlim _stopped = new(initialState: false);
    private Thread? _feeder;

    public override string Name => "threadpool";

    public override void Start()
    {
        _stopped.Reset();
        _feeder = StartThread("threadpool-load-feeder", Feed);
    }

    protected override void Dispose(bool disposing) => _stopped.Dispose();

    public override void Stop()
    {
        _stopped.Set();
        _feeder?.Join();
        _feeder = null;
    }

    private void Feed()
    {
        while (!_stopped.IsSet)
        {
            while (ThreadPool.PendingWorkItemCount < Backlog)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static stopped => stopped.Wait(BlockFor), _stopped, preferLocal: false);
            }

            _stopped.Wait(FeedEvery);
        }
    }
}

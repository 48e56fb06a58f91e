namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>The ways of running N periodic callbacks whose cost the <c>cost</c> mode compares.</summary>
internal enum CostContenderKind
{
    KeepAliveNet,
    PriorityQueueThread,
    Paced1Ms,
    ThreadingTimer,
    HashedWheel1Ms,
    HashedWheel100Ms,
}

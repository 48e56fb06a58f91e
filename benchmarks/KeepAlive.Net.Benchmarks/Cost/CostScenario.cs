namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>What a cost row measures.</summary>
internal enum CostScenario
{
    /// <summary>N registrations firing once per interval, measured over the window after a warm-up.</summary>
    Firing,

    /// <summary>10 registrations firing once per interval: the cost of being there at all.</summary>
    Idle,

    /// <summary>A started contender whose only registration was added and removed: the cost of an empty scheduler.</summary>
    Empty,
}

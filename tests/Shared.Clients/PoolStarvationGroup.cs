namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// The tests that starve the process's thread pool (<see cref="NatProfiles.SleepWithThePoolStarved"/>): they run alone,
/// after the others, so their starvation delays no other test's timers, pings or deadlines.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PoolStarvationGroup
{
    public const string Name = "Thread-pool starvation (runs alone)";
}

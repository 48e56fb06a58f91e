namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// What one soak run does: how many loopback connections, for how long, how often each heartbeats, with what
/// driver, and how long the bare-send baseline runs afterwards on the same connections.
/// </summary>
internal sealed record SoakOptions(int Connections, TimeSpan Duration, TimeSpan Interval, SoakDriver Driver, TimeSpan SendBaseline);

namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>What the soak runs.</summary>
/// <param name="Connections">Loopback connections, each heartbeating.</param>
/// <param name="Duration">How long each driver heartbeats.</param>
/// <param name="Interval">Heartbeat interval per connection.</param>
/// <param name="Drivers">What sends the heartbeats, each measured alone in turn on the same connections.</param>
/// <param name="Registration">How the connections are registered.</param>
/// <param name="SendBaseline">How long the bare-send baseline runs.</param>
/// <param name="PeerReads">When the peer process reads what the connections send.</param>
internal sealed record SoakOptions(int Connections, TimeSpan Duration, TimeSpan Interval, IReadOnlyList<SoakDriver> Drivers, SoakRegistration Registration, TimeSpan SendBaseline, SoakPeerReads PeerReads);

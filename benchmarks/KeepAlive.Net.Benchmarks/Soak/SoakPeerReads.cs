namespace KeepAlive.Net.Benchmarks.Soak;

/// <summary>
/// When the soak's peer process reads what the connections send. On loopback the sender's thread delivers each segment to
/// the receiving socket itself, and if the peer's event loop sleeps on that socket, it also wakes it (an inter-processor
/// interrupt when the peer sleeps on the other core): CPU a sender to another host never pays, and that grows the more the
/// sends are spread in time, because a peer busy with a lock-step burst rarely sleeps between them.
/// </summary>
internal enum SoakPeerReads
{
    /// <summary>Reads every connection as data arrives (an asynchronous receive on each): the peer's wake-ups are charged to the sender.</summary>
    Live,

    /// <summary>
    /// Waits on no connection until the soak stops, like a peer on another host: the bytes wait in the kernel's receive
    /// queues (a few dozen per connection) and are read and counted at the end, so nothing lost still shows.
    /// </summary>
    AtStop,
}

namespace KeepAlive.Net.Heartbeats;

/// <summary>One unit of work handed from the timer thread to a dispatcher thread; a struct, so queuing allocates nothing.</summary>
/// <param name="Registration">The registration.</param>
/// <param name="IsPeerDead">True to raise PeerDead, false to send a heartbeat.</param>
/// <param name="EnqueuedAt">When the timer thread queued it (TimeProvider timestamp).</param>
/// <param name="QueuedAhead">How many items were waiting ahead of it.</param>
internal readonly record struct WorkItem(HeartbeatRegistration Registration, bool IsPeerDead, long EnqueuedAt, int QueuedAhead);

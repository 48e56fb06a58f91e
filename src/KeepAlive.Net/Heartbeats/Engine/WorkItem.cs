namespace KeepAlive.Net.Heartbeats;

/// <summary>What the timer thread hands a dispatcher; a struct in a ring, so handing over allocates nothing.</summary>
/// <param name="Slot">The registration's slot.</param>
/// <param name="Kind">What to do.</param>
/// <param name="TimerCause">When the timer thread itself took the heartbeat late, why (its own wake-up was late, a GC, its backlog).</param>
/// <param name="Popped">When the timer thread took it from the queue (TimeProvider timestamp).</param>
/// <param name="GcAtPop">Total GC pause time of the process at that moment, in TimeSpan ticks.</param>
internal readonly record struct WorkItem(int Slot, WorkKind Kind, HeartbeatDelayCause TimerCause, long Popped, long GcAtPop);

namespace KeepAlive.Net.Heartbeats;

/// <summary>One item of a batch the timer loop claimed; a struct in an array, so a batch allocates nothing.</summary>
/// <param name="Slot">The registration's slot.</param>
/// <param name="Kind">What to do.</param>
/// <param name="TimerCause">When the loop itself took the heartbeat late, why (its own wake-up was late, a GC, its backlog).</param>
/// <param name="Popped">When the loop took it from the queue (TimeProvider timestamp); for a blocked report, when the send started.</param>
/// <param name="GcAtPop">Total GC pause time of the process at that moment, in TimeSpan ticks.</param>
internal readonly record struct WorkItem(int Slot, WorkKind Kind, HeartbeatDelayCause TimerCause, long Popped, long GcAtPop);

namespace KeepAlive.Net.Heartbeats;

/// <summary>One item of a batch the timer loop claimed; a struct in an array, so a batch allocates nothing.</summary>
/// <param name="Slot">The registration's slot.</param>
/// <param name="Kind">What to do.</param>
/// <param name="TimerCause">When the loop itself took the heartbeat late, why (its own wake-up was late, a GC, its backlog).</param>
/// <param name="Popped">When the loop took it from the queue (TimeProvider timestamp); for a blocked report, when the send started.</param>
/// <param name="GcAtPop">Total GC pause time of the process at that moment, in TimeSpan ticks.</param>
internal readonly record struct WorkItem(int Slot, WorkKind Kind, HeartbeatDelayCause TimerCause, long Popped, long GcAtPop);

/// <summary>What a scheduler thread runs for a <see cref="WorkItem"/>: send a heartbeat, declare the peer dead (liveness timeout), or report a send running past its blocked threshold.</summary>
internal enum WorkKind : byte
{
    Beat,
    PeerDead,
    Blocked,
}

/// <summary>The moments of one heartbeat, from which its lateness is split into where the time went (<see cref="CauseAnalyzer"/>).</summary>
/// <param name="Due">When it was due (nominal time plus jitter).</param>
/// <param name="Popped">When the timer thread took it (its <see cref="WorkItem"/>).</param>
/// <param name="TimerCause">Why the timer thread took it late, if it did.</param>
/// <param name="GcAtPop">Total GC pause time of the process when the timer thread took it, in TimeSpan ticks.</param>
/// <param name="Start">When the callback started.</param>
internal readonly record struct BeatTimeline(long Due, long Popped, HeartbeatDelayCause TimerCause, long GcAtPop, long Start);

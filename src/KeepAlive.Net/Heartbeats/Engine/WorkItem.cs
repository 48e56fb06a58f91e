namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// One item of a batch the timer loop claimed (a struct in an array: a batch allocates nothing): why the loop took it late,
/// when it took it (for a blocked report, when the send started) and the process's GC pause total then, in TimeSpan ticks.
/// </summary>
internal readonly record struct WorkItem(int Slot, WorkKind Kind, HeartbeatDelayCause TimerCause, long Popped, long GcAtPop);

/// <summary>What a scheduler thread runs for a <see cref="WorkItem"/>: send a heartbeat, declare the peer dead (liveness timeout), or report a send running past its blocked threshold.</summary>
internal enum WorkKind : byte
{
    Beat,
    PeerDead,
    Blocked,
}

/// <summary>The moments of one heartbeat (due, taken by the loop, callback start), split into where its lateness went by <see cref="CauseAnalyzer"/>.</summary>
internal readonly record struct BeatTimeline(long Due, long Popped, HeartbeatDelayCause TimerCause, long GcAtPop, long Start);

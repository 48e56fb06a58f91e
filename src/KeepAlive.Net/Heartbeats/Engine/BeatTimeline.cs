namespace KeepAlive.Net.Heartbeats;

/// <summary>The moments of one heartbeat, from which its lateness is split into where the time went.</summary>
/// <param name="Due">When it was due (nominal time plus jitter).</param>
/// <param name="Popped">When the timer thread took it.</param>
/// <param name="TimerCause">Why the timer thread took it late, if it did.</param>
/// <param name="GcAtPop">Total GC pause time of the process when the timer thread took it, in TimeSpan ticks.</param>
/// <param name="Start">When the callback started.</param>
internal readonly record struct BeatTimeline(long Due, long Popped, HeartbeatDelayCause TimerCause, long GcAtPop, long Start);

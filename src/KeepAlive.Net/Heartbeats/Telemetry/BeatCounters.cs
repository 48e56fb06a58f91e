using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// What telemetry keeps for one heartbeat stream without allocating, in its <see cref="Slot"/> (or its <see cref="DriftMonitor"/>).
/// One writer at a time (the send that owns the slot, through <see cref="HeartbeatTelemetry"/>); readers use volatile reads.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct BeatCounters
{
    public long Sent; // heartbeats sent without an exception

    // In microseconds, saturating (a larger lateness is kept in IncidentCounters): the last heartbeat's lateness, the largest
    // seen, the last completed send's duration.
    public int LastLatenessMicros, MaxLatenessMicros, LastSendMicros;
}

/// <summary>
/// Counters of what goes wrong with one heartbeat stream, in its <see cref="SlotExtras"/> (only streams that had an incident
/// allocate them). Written by <see cref="HeartbeatTelemetry"/> with interlocked operations, from any thread that reports.
/// </summary>
internal sealed class IncidentCounters
{
    public long Failed, Skipped, Delayed, Blocked, MaxLatenessTicks;
    public int LastCause, ConsecutiveFailures;
}

using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// What telemetry keeps for one heartbeat stream without allocating, in its <see cref="Slot"/> (or its <see cref="DriftMonitor"/>).
/// One writer at a time (the send that owns the slot, through <see cref="HeartbeatTelemetry"/>); readers use volatile reads.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct BeatCounters
{
    /// <summary>Heartbeats sent without an exception.</summary>
    public long Sent;

    /// <summary>Lateness of the last heartbeat in microseconds (saturating).</summary>
    public int LastLatenessMicros;

    /// <summary>Largest lateness seen in microseconds (saturating); larger ones are kept in <see cref="IncidentCounters"/>.</summary>
    public int MaxLatenessMicros;

    /// <summary>Duration of the last completed send in microseconds (saturating).</summary>
    public int LastSendMicros;
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

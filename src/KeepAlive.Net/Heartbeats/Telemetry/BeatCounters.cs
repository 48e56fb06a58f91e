using System.Runtime.InteropServices;

namespace KeepAlive.Net.Heartbeats;

/// <summary>What telemetry keeps per heartbeat stream in its <see cref="Slot"/> (or <see cref="DriftMonitor"/>): one writer at a time, volatile readers.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct BeatCounters
{
    public long Sent; // heartbeats sent without an exception

    // In microseconds, saturating at int.MaxValue (35m47s; a larger value is kept exactly in IncidentCounters): the last
    // heartbeat's lateness, the largest seen, the last completed send's duration.
    public int LastLatenessMicros, MaxLatenessMicros, LastSendMicros;
}

/// <summary>What went wrong with one heartbeat stream, in its <see cref="SlotExtras"/>; interlocked writes from any thread that reports.</summary>
internal sealed class IncidentCounters
{
    public long Failed, Skipped, Delayed, Blocked, MaxLatenessTicks;

    // The exact last lateness and send duration when BeatCounters saturated (a suspended VM, a laptop asleep).
    public long LastLongLatenessTicks, LastLongSendTicks;
    public int LastCause, ConsecutiveFailures;
}

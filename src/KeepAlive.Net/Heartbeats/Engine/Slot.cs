namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The hot state of one registration: 80 bytes in a page of a <see cref="SlotTable"/>. Written by the timer
/// thread, by the dispatcher or completion running the registration's send (never both at once: the
/// <see cref="State"/> phase says who owns it) and, for the two activity timestamps, by the user's threads.
/// Rare state (event handlers, failure counters, an asynchronous send in flight) lives in <see cref="SlotExtras"/>.
/// </summary>
internal struct Slot
{
    /// <summary>The user's send, or <see langword="null"/> for a free slot.</summary>
    public Func<HeartbeatContext, ValueTask>? Callback;

    /// <summary>The public handle, passed to the callback and to event handlers.</summary>
    public HeartbeatRegistration? Handle;

    /// <summary>The key of this slot's one valid entry in the timer queue; entries with another key are stale.</summary>
    public long TimerKey;

    /// <summary>When the next (or the running) heartbeat is due before jitter, as a TimeProvider timestamp.</summary>
    public long Nominal;

    /// <summary>The last <see cref="HeartbeatRegistration.MarkActivity"/>, written by the user's threads.</summary>
    public long LastActivity;

    /// <summary>The last <see cref="HeartbeatRegistration.MarkPeerActivity"/>, written by the user's threads.</summary>
    public long LastPeerActivity;

    /// <summary>Heartbeats sent without an exception.</summary>
    public long Sent;

    /// <summary>Index of the shared <see cref="BeatSettings"/> in the table.</summary>
    public int Settings;

    /// <summary>Phase and flags, see <see cref="SlotState"/>; changed with compare-and-swap.</summary>
    public int State;

    /// <summary>This heartbeat's jitter as a fraction of the maximum (0 .. <see cref="int.MaxValue"/>).</summary>
    public int JitterFraction;

    /// <summary>Lateness of the last heartbeat in microseconds (saturating).</summary>
    public int LastLatencyMicros;

    /// <summary>Largest lateness seen in microseconds (saturating).</summary>
    public int MaxLatencyMicros;

    /// <summary>Duration of the last completed send in microseconds (saturating).</summary>
    public int LastSendMicros;
}

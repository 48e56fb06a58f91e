namespace KeepAlive.Net.Heartbeats;

/// <summary>One registration's state: 80 bytes in a page of a <see cref="SlotTable"/>, which never moves (rare state: <see cref="SlotExtras"/>).</summary>
/// <remarks>
/// <para><b>One owner at a time.</b> The phase in <see cref="State"/> says who may write the slot; every phase change is a
/// compare-and-swap (<see cref="SlotState"/>), so exactly one thread moves a slot out of a phase.</para>
/// <list type="table">
/// <listheader><term>phase</term><description>owner, and what it may write</description></listheader>
/// <item><term>Free</term><description>the <see cref="SlotTable"/>, under its lock: every field (a new registration fills
/// <see cref="Callback"/>, <see cref="Handle"/>, <see cref="Settings"/>, the schedule and the activity stamps).</description></item>
/// <item><term>Scheduled</term><description>the thread that owns the timer loop (the timer thread, or the standby that took its
/// turn over): <see cref="Nominal"/> and <see cref="TimerKey"/>, when the slot's key surfaces. It claims the slot for a
/// heartbeat by moving it to Running.</description></item>
/// <item><term>Running</term><description>the send: whichever thread runs or completes the claimed heartbeat (the owner of the
/// loop, a helper, an asynchronous send's completion, a stuck thread once its callback returns). It writes
/// <see cref="Nominal"/>, <see cref="SendMark"/> and <see cref="Counters"/>, publishes the next <see cref="TimerKey"/>, moves
/// the slot back to Scheduled and hands that key to the loop by the one route: its thread's list of next keys, which the
/// owner of the loop pushes (<see cref="TimerLoop.Push"/>) and any other thread posts to the <see cref="Inbox"/>. While a send
/// is in flight the loop may re-key its watch (blocked threshold, liveness) by a compare-and-swap that fails once the send
/// has published its next key.</description></item>
/// <item><term>Stopped (a send failed for good), Disposed (by the user)</term><description>nobody writes; the owner of the
/// loop frees the slot once no thread holds a claim on it (a Running slot disposed meanwhile is freed by its send's end).</description></item>
/// </list>
/// <para>In every phase: <see cref="LastActivity"/> and <see cref="LastPeerActivity"/> are written by the user's threads (one
/// word each, no lock: a compare-and-swap that fails once the slot has changed hands, <see cref="HeartbeatRegistration"/>'s
/// Stamp), and the flags of <see cref="State"/> change by compare-and-swap.</para>
/// </remarks>
internal struct Slot
{
    public Func<HeartbeatContext, ValueTask>? Callback; // the user's send, null for a free slot; set while Free
    public HeartbeatRegistration? Handle; // passed to the callback and to event handlers; set while Free
    public long TimerKey; // the key of this slot's one valid entry in the timer queue; an entry with another key is stale
    public long Nominal; // when the next (or the running) heartbeat is due before jitter (SchedulePolicy.Due)
    public long LastActivity; // the last HeartbeatRegistration.MarkActivity; any thread
    public long LastPeerActivity; // the last HeartbeatRegistration.MarkPeerActivity; any thread
    public BeatCounters Counters; // telemetry's sent count and lateness figures
    public int Settings; // index of the shared BeatSettings in the table; set while Free
    public int State; // phase and flags (SlotState); changed only with compare-and-swap
    public int SendMark; // where the running send reached the transport (SendMark), 0 until it does; the send owns it
}

/// <summary>
/// The packing of <see cref="Slot.SendMark"/> (<see cref="HeartbeatContext.ReportSendStarted"/>): the lateness when the send
/// reached the transport and whether on a thread-pool thread; a plain write by the send that owns the slot. The lateness is
/// kept in microseconds up to 4m28s, in milliseconds beyond (up to 74 h: a machine suspended for hours), never cut short.
/// </summary>
internal static class SendMark
{
    private const int Marked = 1 << 30;
    private const int OnPool = 1 << 29;
    private const int InMilliseconds = 1 << 28;
    private const int MaxValue = InMilliseconds - 1;

    public static int Of(TimeSpan lateness, bool onThreadPool)
    {
        var micros = Math.Max(0, lateness.Ticks / TimeSpan.TicksPerMicrosecond);
        var value = micros <= MaxValue ? (int)micros : InMilliseconds | (int)Math.Min(micros / 1000, MaxValue);
        return Marked | (onThreadPool ? OnPool : 0) | value;
    }

    public static bool IsMarked(int mark) => (mark & Marked) != 0;

    public static bool IsOnThreadPool(int mark) => (mark & OnPool) != 0;

    public static TimeSpan Lateness(int mark) =>
        TimeSpan.FromTicks((mark & MaxValue) * ((mark & InMilliseconds) != 0 ? TimeSpan.TicksPerMillisecond : TimeSpan.TicksPerMicrosecond));
}

/// <summary>The bits of <see cref="Slot.State"/>: a phase (its owner is stated in <see cref="Slot"/>), flags above; every change a compare-and-swap.</summary>
internal static class SlotState
{
    public const int Free = 0, Scheduled = 1, Running = 2, Stopped = 3, Disposed = 4, PhaseMask = 0b111;

    public const int HasExtras = 1 << 3; // the slot has a SlotExtras entry
    public const int PeerDeadRaised = 1 << 4; // the peer was declared dead; liveness is no longer checked
    public const int BlockedReported = 1 << 5; // the send in flight was reported as blocked (set by whoever watches it, once)
    public const int PreviousOverran = 1 << 6; // the previous send was still running when this heartbeat was due
    public const int Unplaced = 1 << 7; // the first heartbeat is not placed yet (rule 7): set at registration, cleared when due

    public static int Phase(int state) => state & PhaseMask;

    /// <summary>Whether the registration is live: waiting for its next heartbeat or in one (not stopped, disposed or free).</summary>
    public static bool IsLive(int state) => Phase(state) is Scheduled or Running;

    /// <summary>Moves the phase from <paramref name="from"/> to <paramref name="to"/>, keeping the flags but <paramref name="clear"/>.</summary>
    /// <returns>The phase seen: <paramref name="from"/> when the move happened.</returns>
    public static int TryMove(ref int state, int from, int to, int clear = 0)
    {
        var current = Volatile.Read(ref state);
        while (Phase(current) == from)
        {
            var seen = Interlocked.CompareExchange(ref state, (current & ~(PhaseMask | clear)) | to, current);
            if (seen == current)
            {
                return from;
            }

            current = seen;
        }

        return Phase(current);
    }

    /// <summary>Sets <paramref name="flag"/>; whether this call set it (it was clear).</summary>
    public static bool TrySet(ref int state, int flag) => (Update(ref state, flag, 0) & flag) == 0;

    /// <summary>Sets or clears flags, keeping the phase; returns the state before.</summary>
    public static int Update(ref int state, int set, int clear)
    {
        var current = Volatile.Read(ref state);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref state, (current | set) & ~clear, current);
            if (seen == current)
            {
                return current;
            }

            current = seen;
        }
    }
}

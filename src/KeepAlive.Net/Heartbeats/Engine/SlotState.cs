namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The bits of <see cref="Slot.State"/>: a phase in the low 3 bits and flags above it. Every change is a compare-and-swap that keeps the other bits, so the phase decides
/// who may touch the slot: the timer thread while <see cref="Scheduled"/>, the thread that claimed its heartbeat while
/// <see cref="Running"/> (waiting in a batch or in its callback), nobody once <see cref="Disposed"/>.
/// </summary>
internal static class SlotState
{
    public const int Free = 0;
    public const int Scheduled = 1;
    public const int Running = 3;
    public const int Stopped = 4;
    public const int Disposed = 5;
    public const int PhaseMask = 0b111;

    /// <summary>The slot has a <see cref="SlotExtras"/> entry.</summary>
    public const int HasExtras = 1 << 3;

    /// <summary>The peer was declared dead; liveness is no longer checked.</summary>
    public const int PeerDeadRaised = 1 << 4;

    /// <summary>The send in flight was reported as blocked.</summary>
    public const int BlockedReported = 1 << 5;

    /// <summary>The previous send was still running when this heartbeat was due.</summary>
    public const int PreviousOverran = 1 << 6;

    /// <summary>The callback marked when it handed the heartbeat to the transport; the lateness is measured there.</summary>
    public const int SendMarked = 1 << 7;

    /// <summary>The send was marked from a thread-pool thread (it hopped onto the pool first).</summary>
    public const int MarkedOnPool = 1 << 12;

    /// <summary>The flags that describe one send, cleared when the next heartbeat is claimed.</summary>
    public const int PerSend = SendMarked | MarkedOnPool | BlockedReported;

    public static int Phase(int state) => state & PhaseMask;

    /// <summary>Whether the registration is live: waiting for its next heartbeat or in one (not stopped, disposed or free).</summary>
    public static bool IsLive(int state) => Phase(state) is Scheduled or Running;

    /// <summary>Moves the phase from <paramref name="from"/> to <paramref name="to"/>, keeping the flags.</summary>
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

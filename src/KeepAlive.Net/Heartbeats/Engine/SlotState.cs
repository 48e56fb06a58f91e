namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The bits of <see cref="Slot.State"/>: a phase in the low 3 bits and flags above it. Every change is a compare-and-swap
/// that keeps the other bits; <see cref="Slot"/> says which thread owns the slot in each phase.
/// </summary>
internal static class SlotState
{
    /// <summary>Not in use: owned by the slot table.</summary>
    public const int Free = 0;

    /// <summary>Waiting for its next heartbeat: owned by the thread that owns the timer loop.</summary>
    public const int Scheduled = 1;

    /// <summary>Claimed for a heartbeat (waiting in a batch, in its callback, or its send in flight): owned by the send.</summary>
    public const int Running = 2;

    /// <summary>Stopped after a send failed for good; waits to be freed.</summary>
    public const int Stopped = 3;

    /// <summary>Disposed by the user; waits to be freed.</summary>
    public const int Disposed = 4;

    public const int PhaseMask = 0b111;

    /// <summary>The slot has a <see cref="SlotExtras"/> entry.</summary>
    public const int HasExtras = 1 << 3;

    /// <summary>The peer was declared dead; liveness is no longer checked.</summary>
    public const int PeerDeadRaised = 1 << 4;

    /// <summary>The send in flight was reported as blocked (set by whoever watches it, once).</summary>
    public const int BlockedReported = 1 << 5;

    /// <summary>The previous send was still running when this heartbeat was due.</summary>
    public const int PreviousOverran = 1 << 6;

    /// <summary>The first heartbeat has not been placed yet (rule 7 of <see cref="SchedulePolicy"/>): set at registration, cleared when it falls due.</summary>
    public const int Unplaced = 1 << 7;

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

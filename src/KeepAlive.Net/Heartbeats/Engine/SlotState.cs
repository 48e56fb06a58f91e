namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// The bits of <see cref="Slot.State"/>: a phase in the low 3 bits (who owns the slot in each is stated in <see cref="Slot"/>)
/// and flags above it. Every change is a compare-and-swap that keeps the other bits.
/// </summary>
internal static class SlotState
{
    public const int Free = 0, Scheduled = 1, Running = 2, Stopped = 3, Disposed = 4, PhaseMask = 0b111;

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

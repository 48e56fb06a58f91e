namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Every scheduling decision of the heartbeat engine, in one place: due time, queue key, liveness, idle postponement, the
/// next heartbeat after a send, spread and coalescing. The engine only moves keys and runs callbacks. To change the schedule,
/// change this file (docs/ARCHITECTURE.md, "How to change the schedule"); each rule has its own test in SchedulePolicyTests.
/// </summary>
/// <remarks>
/// Times are timestamps of the scheduler's <see cref="TimeProvider"/>, durations its ticks. The static rules are pure
/// functions; the instance holds the measured cost of a heartbeat, written by the owner of the timer loop alone (no lock; a
/// standby reads it for rule 10, where a stale value only moves one help decision).
/// </remarks>
internal sealed class SchedulePolicy
{
    /// <summary>Rule 8's floor: the timer thread never wakes more than 2,000 times a second.</summary>
    public static readonly TimeSpan MinTolerance = TimeSpan.FromMicroseconds(500);

    /// <summary>Rule 8's ceiling: however long the interval, a heartbeat is coalesced by at most 20 ms.</summary>
    public static readonly TimeSpan MaxTolerance = TimeSpan.FromMilliseconds(20);

    /// <summary>Rule 8's fraction: a heartbeat may wait for company for 1/2000 of its interval (0.5 ms at 1 s).</summary>
    public const int ToleranceDivisor = 2000;

    /// <summary>
    /// Rule 7: a heartbeat's cost until one is measured: an early socket send (11-16 µs on loopback here), the dearest common
    /// heartbeat, so a first burst of sockets is spread right (docs/ARCHITECTURE.md, "Rule 7's constants").
    /// </summary>
    internal static readonly TimeSpan InitialBeatCost = TimeSpan.FromMicroseconds(15);

    /// <summary>Rule 10: a batch estimated, or run, longer than this on one thread is shared with a standby.</summary>
    public static readonly TimeSpan HelpBudget = TimeSpan.FromMilliseconds(1);

    /// <summary>Rule 10: the fewest waiting heartbeats estimated long worth a helper (two of the owner's claims, so a helper gets one).</summary>
    public const int MinShared = 2 * Turn.OwnerChunk;

    /// <summary>Rule 7: spread heartbeats are placed this many costs apart, so one thread runs them at half its capacity.</summary>
    private const int SpacingInCosts = 2;

    /// <summary>Rule 7: a batch whose heartbeats took longer than this each held a slow or blocked callback; it teaches nothing about the cost.</summary>
    private static readonly TimeSpan MaxBeatCost = TimeSpan.FromMilliseconds(1);

    private readonly long _minCost;
    private readonly long _maxCost;
    private readonly long _helpBudget;
    private readonly long _assumedCost;
    private bool _measured;

    public SchedulePolicy(TimeProvider clock)
    {
        BeatCost = _assumedCost = Ticks(InitialBeatCost, clock);
        _minCost = Math.Max(1, Ticks(TimeSpan.FromTicks(1), clock));
        _maxCost = Ticks(MaxBeatCost, clock);
        _helpBudget = Ticks(HelpBudget, clock);
    }

    /// <summary>Gets the measured cost of one heartbeat on the timer thread (callback included), in timestamp ticks.</summary>
    public long BeatCost { get; private set; }

    /// <summary>Converts a duration to ticks of <paramref name="clock"/>'s timestamps, the engine's unit of time.</summary>
    public static long Ticks(TimeSpan value, TimeProvider clock) =>
        (long)(value.Ticks * ((double)clock.TimestampFrequency / TimeSpan.TicksPerSecond));

    /// <summary>Rule 1: the first heartbeat is due one interval after the registration (then spread by rule 7 when the loop takes it in).</summary>
    public static long FirstNominal(BeatSettings settings, long now) => now + settings.IntervalTicks;

    /// <summary>
    /// Rule 2: due at the nominal time plus jitter in [0, <see cref="HeartbeatOptions.Jitter"/>), a hash of the slot and the
    /// nominal time: fixed for one heartbeat, re-rolled whenever the nominal time moves, never negative.
    /// </summary>
    public static long Due(BeatSettings settings, int slot, long nominal)
    {
        if (settings.JitterTicks == 0)
        {
            return nominal;
        }

        var mixed = Mix(((ulong)(uint)slot << 32) ^ (ulong)nominal);
        return nominal + (long)((mixed >> 11) * (1.0 / (1UL << 53)) * settings.JitterTicks);
    }

    /// <summary>Rule 3: with a <see cref="HeartbeatOptions.Timeout"/> and the peer not declared dead yet, it is dead once silent that long.</summary>
    public static long LivenessDeadline(BeatSettings settings, int state, long lastPeerActivity) =>
        settings.TimeoutTicks > 0 && (state & SlotState.PeerDeadRaised) == 0 ? lastPeerActivity + settings.TimeoutTicks : long.MaxValue;

    /// <summary>Rule 4: the timer queue holds a registration at the earlier of its due time and its liveness deadline.</summary>
    public static long Key(long due, long livenessDeadline) => Math.Min(due, livenessDeadline);

    /// <summary>
    /// Rule 5: in <see cref="HeartbeatMode.WhenIdle"/>, activity since the heartbeat was scheduled postpones it to one interval
    /// after the last activity; applied when the key surfaces, so <c>MarkActivity</c> only writes a timestamp. When the key
    /// surfaces late (a stall), that due time may have passed too: the heartbeat is due at once, and late from it, not from
    /// the earlier nominal time the activity replaced.
    /// </summary>
    public static long AfterActivity(BeatSettings settings, long nominal, long lastActivity)
    {
        var idleDue = lastActivity + settings.IntervalTicks;
        return settings.Mode == HeartbeatMode.WhenIdle && idleDue > nominal ? idleDue : nominal;
    }

    /// <summary>
    /// Rule 6: never a burst. A send <paramref name="lateness"/> late by <c>k</c> whole intervals folds <c>k</c> heartbeats into
    /// itself (skipped). FixedRate keeps its phase when none was skipped; otherwise, and in WhenIdle, the next is due one
    /// interval after this callback's <paramref name="start"/>.
    /// </summary>
    public static (long Nominal, long Skipped) AfterSend(BeatSettings settings, long nominal, long start, TimeSpan lateness)
    {
        var skipped = lateness.Ticks / settings.Interval.Ticks;
        var next = settings.Mode == HeartbeatMode.FixedRate && skipped == 0 ? nominal + settings.IntervalTicks : start + settings.IntervalTicks;
        return (next, skipped);
    }

    /// <summary>Rule 9: a send overran when it ended at or after the next heartbeat's nominal time (that one is then late, cause SendBlocked).</summary>
    public static bool Overran(long end, long nextNominal) => end >= nextNominal;

    /// <summary>
    /// Rule 8: heartbeats due close together share a wake-up, at most a tolerance later, never earlier: 1/<see cref="ToleranceDivisor"/>
    /// of the interval, between <see cref="MinTolerance"/> and <see cref="MaxTolerance"/>.
    /// </summary>
    public static TimeSpan Tolerance(TimeSpan interval) =>
        TimeSpan.FromTicks(Math.Clamp(interval.Ticks / ToleranceDivisor, MinTolerance.Ticks, MaxTolerance.Ticks));

    /// <summary>Rule 8: when to wake next: at the <paramref name="next"/> key (<see cref="long.MaxValue"/>: none), but not sooner than <paramref name="minTolerance"/> after <paramref name="wokeAt"/>.</summary>
    public static long WakeAt(long wokeAt, long next, long minTolerance) =>
        next == long.MaxValue || minTolerance == long.MaxValue ? next : Math.Max(next, wokeAt + minTolerance);

    /// <summary>
    /// Rule 7: a burst of registrations with the same settings does not heartbeat in lock-step. As first heartbeats fall due,
    /// the settings' cursor tracks when one thread would have sent those before, a spacing (two measured costs) each. One
    /// within the help budget (1 ms) of the cursor keeps its time; one further behind moves later by the excess, wrapping
    /// within the spread bound, each lap between the earlier ones. Called by the owner of the timer loop when a first
    /// heartbeat falls due, so the cost is measured by then; never earlier than <paramref name="nominal"/>.
    /// </summary>
    public long Spread(BeatSettings settings, long nominal)
    {
        if (settings.SpreadTicks == 0)
        {
            return nominal;
        }

        var spacing = SpacingInCosts * BeatCost;
        var cursor = settings.SpreadCursor;
        if (settings.SpreadAssumed && _measured && cursor > nominal)
        {
            // A lead built on the assumed cost: only its measured share is work still ahead (else a million cheap registrations
            // a second kept being moved by tens of ms).
            cursor = nominal + (long)((cursor - nominal) * Math.Min(1.0, (double)BeatCost / _assumedCost));
        }

        settings.SpreadAssumed = !_measured;
        // Up to the help budget of work may wait at once (as in any batch): only what a crowd holds beyond it is moved.
        var behind = cursor - nominal - _helpBudget;
        settings.SpreadCursor = Math.Max(cursor, nominal) + spacing;
        if (behind <= 0)
        {
            return nominal;
        }

        var lap = behind / settings.SpreadTicks;
        // Each lap past the bound is shifted by the bit-reversed lap number's fraction of a spacing (1/2, 1/4, 3/4...).
        var shift = lap == 0 ? 0 : (long)(ReverseBits16((int)(lap & 0xFFFF)) * (spacing / 65536.0));
        return nominal + ((behind + shift) % settings.SpreadTicks);
    }

    /// <summary>
    /// Rule 7 and rule 3: a first heartbeat the spread put off by <paramref name="shift"/> puts the peer's silence clock off as
    /// much (never past <paramref name="now"/>): the peer cannot answer a heartbeat not sent yet. A MarkPeerActivity meanwhile wins.
    /// </summary>
    public static void PutOffSilence(ref long lastPeerActivity, long shift, long now)
    {
        var seen = Volatile.Read(ref lastPeerActivity);
        StartSilenceAt(ref lastPeerActivity, seen, Math.Min(now, seen + shift));
    }

    /// <summary>
    /// Rule 11: the process's own pause is not the peer's silence. A liveness deadline found passed when the process was held
    /// up <paramref name="oversleep"/> since the loop last looked (the timer thread woke that long after its planned time: a GC,
    /// a stopped, frozen or starved process; or a GC paused it that long, during a batch or before the planned wake-up: the
    /// application's readers could not run either, and the peer's answers may wait unread in the socket) is judged again as
    /// long again after <paramref name="now"/>, at most <see cref="HeartbeatOptions.Timeout"/> later, by putting the silence
    /// clock off (a MarkPeerActivity meanwhile wins). A pause under <paramref name="minimum"/> excuses nothing; a dead peer is
    /// declared later by as long as the process was held up. Returns whether the deadline moved.
    /// </summary>
    public static bool ExcusePause(BeatSettings settings, ref long lastPeerActivity, long oversleep, long minimum, long now)
    {
        if (oversleep < minimum || settings.TimeoutTicks <= 0)
        {
            return false;
        }

        var seen = Volatile.Read(ref lastPeerActivity);
        StartSilenceAt(ref lastPeerActivity, seen, now + Math.Min(oversleep, settings.TimeoutTicks) - settings.TimeoutTicks);
        return true;
    }

    // The silence clock only moves forward; a MarkPeerActivity since it was read wins the compare-and-swap.
    private static void StartSilenceAt(ref long lastPeerActivity, long seen, long start)
    {
        if (start > seen)
        {
            Interlocked.CompareExchange(ref lastPeerActivity, start, seen);
        }
    }

    /// <summary>Rule 10: whether <paramref name="waiting"/> heartbeats need a helper from the start: at least <see cref="MinShared"/>, together dearer than the help budget.</summary>
    public bool NeedsHelp(int waiting) => waiting >= MinShared && waiting * BeatCost > _helpBudget;

    /// <summary>Rule 10: whether a batch that started at <paramref name="batchStart"/> ran past the help budget: what is left of it is shared.</summary>
    public bool RanPastHelpBudget(long batchStart, long now) => now - batchStart > _helpBudget;

    private static int ReverseBits16(int value)
    {
        var reversed = 0;
        for (var bit = 0; bit < 16; bit++)
        {
            reversed = (reversed << 1) | ((value >> bit) & 1);
        }

        return reversed;
    }

    /// <summary>
    /// Rule 7: learns a heartbeat's cost from a batch. The first measurement below the assumption replaces it; then it falls
    /// fast and rises slowly (a 32nd of the way, at most doubling), so one slow batch does not spread cheap registrations.
    /// </summary>
    public void RecordBatch(int heartbeats, long elapsed)
    {
        if (heartbeats > 0 && elapsed > 0 && elapsed / heartbeats is var cost && cost <= _maxCost)
        {
            cost = Math.Max(_minCost, cost);
            BeatCost = !_measured ? Math.Min(BeatCost, cost)
                : cost < BeatCost ? BeatCost + ((cost - BeatCost) / 2)
                : BeatCost + Math.Min(BeatCost, (cost - BeatCost + 31) / 32); // rounded up: a lasting rise is learned at any clock resolution
            _measured = true;
        }
    }

    // SplitMix64's finalizer: spreads the bits of the key so that neighbouring slots and times get unrelated jitter.
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}

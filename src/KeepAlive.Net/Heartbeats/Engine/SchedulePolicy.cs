namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Every scheduling decision of the heartbeat engine, in one place: due time, queue key, liveness, idle postponement, the
/// next heartbeat after a send (never early, never a burst), spread and coalescing. The engine only moves keys and runs
/// callbacks; telemetry only reports. To change the schedule, change this file (docs/ARCHITECTURE.md, "How to change the
/// schedule"); each numbered rule has its own test in SchedulePolicyTests.
/// </summary>
/// <remarks>
/// Times are timestamps of the scheduler's <see cref="TimeProvider"/>, durations its ticks (<see cref="BeatSettings"/> holds
/// the options converted once). The static rules are pure functions, called by the thread that owns the slot. The instance
/// holds the only scheduling state not in a slot (the measured cost of a heartbeat; the spread cursors live in the
/// settings) and is used by the owner of the timer loop alone, so it needs no lock.
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
    /// Rule 7: a heartbeat is assumed to cost this much until the engine has measured one: a socket send on a thread that has
    /// not sent many yet (11-16 µs on loopback here), the dearest common heartbeat, so the first burst of sockets is spread
    /// right. A lower first measurement replaces it at once, a higher one is learned slowly (see <see cref="RecordBatch"/>);
    /// what was measured and rejected is in docs/ARCHITECTURE.md ("Rule 7's constants").
    /// </summary>
    internal static readonly TimeSpan InitialBeatCost = TimeSpan.FromMicroseconds(15);

    /// <summary>Rule 7: spread heartbeats are placed this many costs apart, so one thread runs them at half its capacity.</summary>
    private const int SpacingInCosts = 2;

    /// <summary>Rule 7: a batch whose heartbeats took longer than this each held a slow or blocked callback; it teaches nothing about the cost.</summary>
    private static readonly TimeSpan MaxBeatCost = TimeSpan.FromMilliseconds(1);

    private readonly long _minCost;
    private readonly long _maxCost;
    private readonly long _crowdSlack;
    private readonly long _assumedCost;
    private bool _measured;

    public SchedulePolicy(TimeProvider clock)
    {
        BeatCost = _assumedCost = Ticks(InitialBeatCost, clock);
        _minCost = Math.Max(1, Ticks(TimeSpan.FromTicks(1), clock));
        _maxCost = Ticks(MaxBeatCost, clock);
        _crowdSlack = Ticks(TimerThreads.HelpBudget, clock);
    }

    /// <summary>Gets the measured cost of one heartbeat on the timer thread (callback included), in timestamp ticks.</summary>
    public long BeatCost { get; private set; }

    /// <summary>Converts a duration to ticks of <paramref name="clock"/>'s timestamps, the engine's unit of time.</summary>
    public static long Ticks(TimeSpan value, TimeProvider clock) =>
        (long)(value.Ticks * ((double)clock.TimestampFrequency / TimeSpan.TicksPerSecond));

    /// <summary>Rule 1: the first heartbeat is due one interval after the registration (then spread by rule 7 when the loop takes it in).</summary>
    public static long FirstNominal(BeatSettings settings, long now) => now + settings.IntervalTicks;

    /// <summary>
    /// Rule 2: a heartbeat is due at its nominal time plus jitter. The jitter is in [0, <see cref="HeartbeatOptions.Jitter"/>), a
    /// hash of the slot and the nominal time: fixed for one heartbeat, different for the next, re-rolled whenever the nominal
    /// time moves, and never negative, so jitter only delays.
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

    /// <summary>
    /// Rule 3: while liveness is on (a <see cref="HeartbeatOptions.Timeout"/> is set and the peer was not declared dead yet),
    /// the peer is dead once it has been silent for the timeout; otherwise never.
    /// </summary>
    public static long LivenessDeadline(BeatSettings settings, int state, long lastPeerActivity) =>
        settings.TimeoutTicks > 0 && (state & SlotState.PeerDeadRaised) == 0 ? lastPeerActivity + settings.TimeoutTicks : long.MaxValue;

    /// <summary>Rule 4: the timer queue holds a registration at the earlier of its due time and its liveness deadline.</summary>
    public static long Key(long due, long livenessDeadline) => Math.Min(due, livenessDeadline);

    /// <summary>
    /// Rule 5: in <see cref="HeartbeatMode.WhenIdle"/>, data sent since the heartbeat was scheduled postpones it to one
    /// interval after the last activity. Applied lazily, when the key surfaces, so <c>MarkActivity</c> only writes a timestamp.
    /// </summary>
    /// <returns>The nominal time: later than <paramref name="nominal"/> when postponed.</returns>
    public static long AfterActivity(BeatSettings settings, long nominal, long lastActivity, long now)
    {
        var idleDue = lastActivity + settings.IntervalTicks;
        return settings.Mode == HeartbeatMode.WhenIdle && idleDue > now && idleDue > nominal ? idleDue : nominal;
    }

    /// <summary>
    /// Rule 6: after a send, never a burst. A send that started <c>k</c> whole intervals late folds <c>k</c> heartbeats into
    /// itself (counted as skipped). FixedRate keeps its phase when nothing was skipped; otherwise, and always in WhenIdle, the
    /// next heartbeat is due one interval after this one's callback started (<paramref name="start"/>); <paramref name="lateness"/>
    /// is how late it reached the transport.
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
    /// Rule 8: after waking, the timer thread sleeps at least the smallest tolerance of the live registrations, so heartbeats
    /// due close together share a wake-up: at most that much later, never earlier. The tolerance is in proportion to the
    /// precision a registration needs: 1/<see cref="ToleranceDivisor"/> of its interval, between <see cref="MinTolerance"/> and
    /// <see cref="MaxTolerance"/>.
    /// </summary>
    public static TimeSpan Tolerance(TimeSpan interval) =>
        TimeSpan.FromTicks(Math.Clamp(interval.Ticks / ToleranceDivisor, MinTolerance.Ticks, MaxTolerance.Ticks));

    /// <summary>Rule 8: when to wake next: at the <paramref name="next"/> key (<see cref="long.MaxValue"/>: none), but not sooner than <paramref name="minTolerance"/> after <paramref name="wokeAt"/>.</summary>
    public static long WakeAt(long wokeAt, long next, long minTolerance) =>
        next == long.MaxValue || minTolerance == long.MaxValue ? next : Math.Max(next, wokeAt + minTolerance);

    /// <summary>
    /// Rule 7: a burst of registrations with the same settings (a restart, a reconnect storm) does not heartbeat in lock-step.
    /// First heartbeats fall due in time order; the cursor is when one thread would have sent those before, each costing a
    /// spacing (two measured heartbeat costs, so it sends them at half its capacity). A first heartbeat whose nominal time is
    /// within the help budget (1 ms) of the cursor is not moved; one further behind is moved later by what is beyond that
    /// budget, at most the settings' spread bound; beyond the bound the offsets wrap within it, each lap between the earlier
    /// ones. A registration in a quiet period, or among others that are cheap enough for their rate, is not moved. A lead built
    /// on the assumed cost before any heartbeat was measured shrinks, once, to the measured cost's share of it.
    /// Only the owner of the timer loop calls it, when a registration's first heartbeat falls due (not at registration: by then
    /// the heartbeats already run have measured the cost; the cursor lives in the settings).
    /// </summary>
    /// <returns>The nominal time to use: never earlier than <paramref name="nominal"/>, at most the spread bound later.</returns>
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
            // The lead was built on the assumed cost before any heartbeat was measured: once one is, only the measured share of
            // it is work still ahead (a million cheap registrations a second otherwise kept being moved by a lead of tens of ms).
            cursor = nominal + (long)((cursor - nominal) * Math.Min(1.0, (double)BeatCost / _assumedCost));
        }

        settings.SpreadAssumed = !_measured;
        // Up to the help budget of work may wait at once (as in any batch): only what a crowd holds beyond it is moved.
        var behind = cursor - nominal - _crowdSlack;
        settings.SpreadCursor = Math.Max(cursor, nominal) + spacing;
        if (behind <= 0)
        {
            return nominal;
        }

        var lap = behind / settings.SpreadTicks;
        // Past the bound the offsets wrap within it; each lap lands between the earlier ones (shifted by the bit-reversed lap
        // number's fraction of a spacing: 1/2, 1/4, 3/4...), not on top of them.
        var shift = lap == 0 ? 0 : (long)(ReverseBits16((int)(lap & 0xFFFF)) * (spacing / 65536.0));
        return nominal + ((behind + shift) % settings.SpreadTicks);
    }

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
    /// Records what a batch of heartbeats cost the thread that ran it, for rule 7's spacing. The estimate falls fast and rises
    /// slowly (a 32nd of the way, at most doubling per batch): a first heartbeat placed with too high a cost keeps a place it
    /// did not need, while one slow batch (first calls being compiled, a preempted thread) must not spread cheap
    /// registrations. The first measurement below the assumption replaces it.
    /// </summary>
    public void RecordBatch(int heartbeats, long elapsed)
    {
        if (heartbeats > 0 && elapsed > 0 && elapsed / heartbeats is var cost && cost <= _maxCost)
        {
            cost = Math.Max(_minCost, cost);
            BeatCost = !_measured ? Math.Min(BeatCost, cost)
                : cost < BeatCost ? BeatCost + ((cost - BeatCost) / 2)
                : BeatCost + Math.Min(BeatCost, (cost - BeatCost + 31) / 32); // rounded up, so a lasting rise is learned whatever the clock's resolution; at most doubled, so one preempted batch does not place a million registrations seconds apart
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

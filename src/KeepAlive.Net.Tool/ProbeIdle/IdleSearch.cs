namespace KeepAlive.Net.Tool.ProbeIdle;

/// <summary>
/// Where the path's idle timeout lies, narrowed round by round: the first round spreads silences geometrically from
/// 1 s to the maximum, every later round spreads them evenly inside the bracket left, as many as there are connections,
/// until the bracket is no wider than the resolution. The lower bound is the longest silence the path survived below
/// the shortest it did not (the upper bound). Pure: no sockets, no clock.
/// </summary>
internal sealed class IdleSearch(TimeSpan max, TimeSpan resolution, int connections)
{
    /// <summary>The shortest silence the first round holds (the floor of <c>--max</c>).</summary>
    public static readonly TimeSpan FirstRung = TimeSpan.FromSeconds(1);
    private readonly List<ProbeOutcome> _outcomes = [];

    public TimeSpan Max => max;

    public TimeSpan Resolution => resolution;

    public int Rounds { get; private set; }

    public IReadOnlyList<ProbeOutcome> Outcomes => _outcomes;

    /// <summary>The shortest silence after which the flow was forgotten, or <see langword="null"/> when none was.</summary>
    public TimeSpan? UpperBound => _outcomes.Where(static o => o.Forgotten).Select(static o => (TimeSpan?)o.Silence).Min();

    /// <summary>The longest silence the flow survived below <see cref="UpperBound"/>.</summary>
    public TimeSpan LowerBound => _outcomes.Where(o => o.Survived && (UpperBound is not { } upper || o.Silence < upper))
        .Select(static o => o.Silence).DefaultIfEmpty(TimeSpan.Zero).Max();

    /// <summary>Survivals longer than a silence that was forgotten: the path does not forget at one fixed time (or a probe was lost).</summary>
    public int Inconsistent => UpperBound is { } upper ? _outcomes.Count(o => o.Survived && o.Silence > upper) : 0;

    /// <summary>How the shortest forgotten silence ended, or <see langword="null"/> when nothing was forgotten.</summary>
    public ProbeVerdict? ForgottenBy => _outcomes.Where(static o => o.Forgotten).MinBy(static o => o.Silence)?.Verdict;

    /// <summary>
    /// The shortest silence a connection could not keep because the server kept sending data, or <see langword="null"/>:
    /// its own traffic keeps such flows alive, and no longer silence can be tried on it.
    /// </summary>
    public TimeSpan? ServerTalkedWithin => _outcomes.Where(static o => o.Verdict == ProbeVerdict.ServerTalks).Select(static o => (TimeSpan?)o.Planned).Min();

    /// <summary>How many connections the server closed at once (<see cref="ProbeVerdict.ClosedAtOnce"/>): it turns them away, and no silence can be held on them.</summary>
    public int ClosedAtOnce => _outcomes.Count(static o => o.Verdict == ProbeVerdict.ClosedAtOnce);

    /// <summary>Gets a value indicating whether the search is over: the bracket is narrow enough, nothing was forgotten up to the maximum, or the server never lets a connection go silent or closes it at once.</summary>
    public bool Done => ServerTalkedWithin is not null || ClosedAtOnce > 0 || (UpperBound is { } upper ? upper - LowerBound <= resolution : LowerBound >= max);

    /// <summary>The silences to hold in the next round, shortest first; empty when <see cref="Done"/>.</summary>
    public IReadOnlyList<TimeSpan> NextRound()
    {
        if (Done)
        {
            return [];
        }

        Rounds++;
        if (UpperBound is not { } upper)
        {
            return Ladder(LowerBound > TimeSpan.Zero ? LowerBound : FirstRung);
        }

        var lower = LowerBound;
        var count = (int)Math.Max(1, Math.Min(connections, Math.Ceiling((upper - lower) / resolution) - 1));
        return [.. Enumerable.Range(1, count).Select(i => lower + ((upper - lower) * i / (count + 1)))];
    }

    public void Record(ProbeOutcome outcome) => _outcomes.Add(outcome);

    /// <summary>Geometric rungs from <paramref name="from"/> to <see cref="Max"/>, at most one per connection, the last one the maximum itself.</summary>
    private List<TimeSpan> Ladder(TimeSpan from)
    {
        if (from >= max)
        {
            return [max];
        }

        var ratio = Math.Max(1.1, Math.Pow(max / from, 1.0 / Math.Max(1, connections - 1)));
        var rungs = new List<TimeSpan>();
        for (var rung = from; rung < max && rungs.Count < connections - 1; rung *= ratio)
        {
            rungs.Add(rung);
        }

        rungs.Add(max);
        return rungs;
    }
}

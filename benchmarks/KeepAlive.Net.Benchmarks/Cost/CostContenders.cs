using KeepAlive.Net.Benchmarks.Accuracy;
using KeepAlive.Net.Benchmarks.Heartbeats;

namespace KeepAlive.Net.Benchmarks.Cost;

/// <summary>Creates the <c>cost</c> mode's contenders by kind and parses their command-line names.</summary>
internal static class CostContenders
{
    public const string Names = "keepalive, pq-thread, paced-1ms, timer, wheel-1ms, wheel-100ms";

    public static IReadOnlyList<CostContenderKind> All { get; } = Enum.GetValues<CostContenderKind>();

    public static Contender Create(CostContenderKind kind, int registrations, TimeSpan interval, Action<int> beat) => kind switch
    {
        CostContenderKind.KeepAliveNet => new SchedulerContender(registrations, interval, beat),
        CostContenderKind.PriorityQueueThread => new PriorityQueueThreadContender(registrations, interval, beat),
        CostContenderKind.Paced1Ms => new PacedContender(registrations, interval, beat),
        CostContenderKind.ThreadingTimer => new TimerContender(registrations, interval, beat),
        CostContenderKind.HashedWheel1Ms => new HashedWheelContender(TimeSpan.FromMilliseconds(1), registrations, interval, beat),
        CostContenderKind.HashedWheel100Ms => new HashedWheelContender(TimeSpan.FromMilliseconds(100), registrations, interval, beat),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown contender."),
    };

    /// <summary>Returns <paramref name="name"/> in lower case when it is one of <see cref="Names"/>; throws otherwise.</summary>
    public static string Check(string name)
    {
        Parse(name);
        return name.Trim().ToLowerInvariant();
    }

    /// <summary>Parses one of <see cref="Names"/>.</summary>
    public static CostContenderKind Parse(string name) => name.Trim().ToUpperInvariant() switch
    {
        "KEEPALIVE" => CostContenderKind.KeepAliveNet,
        "PQ-THREAD" => CostContenderKind.PriorityQueueThread,
        "PACED-1MS" => CostContenderKind.Paced1Ms,
        "TIMER" => CostContenderKind.ThreadingTimer,
        "WHEEL-1MS" => CostContenderKind.HashedWheel1Ms,
        "WHEEL-100MS" => CostContenderKind.HashedWheel100Ms,
        _ => throw new ArgumentException($"Unknown contender '{name}': use {Names}."),
    };
}

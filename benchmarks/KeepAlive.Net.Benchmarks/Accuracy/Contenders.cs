namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>Creates contenders by kind.</summary>
internal static class Contenders
{
    public const string DriverNames = "scheduler, timer, periodic, delay";

    public static IReadOnlyList<ContenderKind> All { get; } = Enum.GetValues<ContenderKind>();

    public static Contender Create(ContenderKind kind, int registrations, TimeSpan interval, Action<int> beat) => kind switch
    {
        ContenderKind.Scheduler => new Heartbeats.SchedulerContender(registrations, interval, beat),
        ContenderKind.ThreadingTimer => new TimerContender(registrations, interval, beat),
        ContenderKind.PeriodicTimer => new PeriodicTimerContender(registrations, interval, beat),
        ContenderKind.TaskDelay => new TaskDelayContender(registrations, interval, beat),
        ContenderKind.PriorityQueueThread => new Cost.PriorityQueueThreadContender(registrations, interval, beat),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown contender."),
    };

    /// <summary>Parses the driver names the command line uses (<see cref="DriverNames"/>).</summary>
    public static ContenderKind Parse(string name) => name.ToUpperInvariant() switch
    {
        "SCHEDULER" => ContenderKind.Scheduler,
        "TIMER" => ContenderKind.ThreadingTimer,
        "PERIODIC" => ContenderKind.PeriodicTimer,
        "DELAY" => ContenderKind.TaskDelay,
        _ => throw new ArgumentException($"Unknown driver '{name}': use {DriverNames}."),
    };

    /// <summary>Whether <paramref name="kind"/> runs its callbacks on the thread pool, so it gets at most <see cref="AccuracyOptions.BaselineRegistrations"/>.</summary>
    public static bool OnThreadPool(ContenderKind kind) => kind is ContenderKind.ThreadingTimer or ContenderKind.PeriodicTimer or ContenderKind.TaskDelay;
}

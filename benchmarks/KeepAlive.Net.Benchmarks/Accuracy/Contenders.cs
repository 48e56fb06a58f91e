namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>Creates contenders by kind.</summary>
internal static class Contenders
{
    public const string DriverNames = "timer, periodic, delay";

    /// <summary>The soak's default driver: KeepAlive.Net's scheduler once it is in the build, until then a <see cref="Timer"/> per connection.</summary>
    public const string DefaultDriver = "timer";

    public static IReadOnlyList<ContenderKind> All { get; } = Enum.GetValues<ContenderKind>();

    public static Contender Create(ContenderKind kind, int registrations, TimeSpan interval, Action<int> beat) => kind switch
    {
        ContenderKind.ThreadingTimer => new TimerContender(registrations, interval, beat),
        ContenderKind.PeriodicTimer => new PeriodicTimerContender(registrations, interval, beat),
        ContenderKind.TaskDelay => new TaskDelayContender(registrations, interval, beat),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown contender."),
    };

    /// <summary>Parses the names the command line uses: timer, periodic, delay.</summary>
    public static ContenderKind Parse(string name) => name.ToUpperInvariant() switch
    {
        "TIMER" => ContenderKind.ThreadingTimer,
        "PERIODIC" => ContenderKind.PeriodicTimer,
        "DELAY" => ContenderKind.TaskDelay,
        _ => throw new ArgumentException($"Unknown driver '{name}': use {DriverNames}."),
    };

    /// <summary>Whether <paramref name="kind"/> is KeepAlive.Net's own scheduler rather than a thread-pool baseline.</summary>
    public static bool IsOurs(ContenderKind kind) => kind is not (ContenderKind.ThreadingTimer or ContenderKind.PeriodicTimer or ContenderKind.TaskDelay);
}

namespace KeepAlive.Net.Benchmarks.Accuracy;

/// <summary>What one accuracy run measures: per-load duration, registrations, interval, loads and where results go.</summary>
internal sealed record AccuracyOptions(
    TimeSpan Duration,
    int Registrations,
    int BaselineRegistrations,
    TimeSpan Interval,
    IReadOnlyList<string> Loads,
    string OutputDirectory)
{
    public const int DefaultRegistrations = 100_000;
    public const int DefaultBaselineRegistrations = 1_000;

    /// <summary>Our scheduler and the dedicated-thread baseline get every registration; a thread-pool baseline at most <see cref="BaselineRegistrations"/>.</summary>
    public int RegistrationsFor(bool onThreadPool) => onThreadPool ? Math.Min(Registrations, BaselineRegistrations) : Registrations;
}

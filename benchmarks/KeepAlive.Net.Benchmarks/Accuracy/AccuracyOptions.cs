using KeepAlive.Net.Benchmarks.Cli;

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

    public static AccuracyOptions Parse(CliArguments args) => new(
        args.Allow("duration", "registrations", "baseline-registrations", "interval", "load", "out").GetDuration("duration", TimeSpan.FromSeconds(20)),
        args.GetInt32("registrations", DefaultRegistrations),
        args.GetInt32("baseline-registrations", DefaultBaselineRegistrations),
        args.GetDuration("interval", TimeSpan.FromSeconds(1)),
        Benchmarks.Loads.Loads.Validate(args.GetList("load", Benchmarks.Loads.Loads.AllNames)),
        args.GetString("out", "results"));

    /// <summary>Our scheduler gets every registration; a thread-pool baseline at most <see cref="BaselineRegistrations"/>.</summary>
    public int RegistrationsFor(bool isOurs) => isOurs ? Registrations : Math.Min(Registrations, BaselineRegistrations);
}

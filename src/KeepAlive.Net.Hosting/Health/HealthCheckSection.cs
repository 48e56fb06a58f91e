using KeepAlive.Net.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace KeepAlive.Net.Hosting.Health;

/// <summary>
/// The health check's thresholds read from a configuration section (<c>"Window": "1m"</c>,
/// <c>"DegradedBudgetFraction": 0.5</c>, <c>"UnhealthyPeerDeadCount": 3</c>) with the same strict reader as the
/// profiles: unknown keys, bare numbers as durations and wrong value types are refused with the path and the fix. The
/// failures are kept for <see cref="KeepAliveHealthCheckOptionsValidator"/>, which reports them when the host starts.
/// </summary>
internal sealed class HealthCheckSection(IConfiguration section)
{
    private static readonly string[] Keys =
        [nameof(KeepAliveHealthCheckOptions.Window), nameof(KeepAliveHealthCheckOptions.DegradedBudgetFraction), nameof(KeepAliveHealthCheckOptions.UnhealthyPeerDeadCount)];

    /// <summary>The accepted range of <see cref="KeepAliveHealthCheckOptions.Window"/>, from configuration or code.</summary>
    public static readonly DurationLimits WindowLimits = new(
        TimeSpan.FromSeconds(1), "a shorter look back judges single heartbeats, not the recent past",
        TimeSpan.FromDays(1), "lateness older than a day says nothing about the service now",
        "1m");

    /// <summary>Gets the section's configuration path, the prefix of every message about its values.</summary>
    public string Path { get; } = section is IConfigurationSection { Path: { Length: > 0 } path } ? path : "KeepAlive:Health";

    /// <summary>Gets what the last <see cref="Bind"/> refused.</summary>
    public IReadOnlyList<string> Failures { get; private set; } = [];

    /// <summary>Reads the section into <paramref name="options"/>; absent keys keep the defaults.</summary>
    /// <param name="options">The options to fill in.</param>
    public void Bind(KeepAliveHealthCheckOptions options)
    {
        var failures = new List<string>();
        if (SectionReader.Open(section, Path, Keys, failures) is { } reader)
        {
            reader.Duration(nameof(options.Window), WindowLimits, value => options.Window = value);
            reader.Number(nameof(options.DegradedBudgetFraction), value => options.DegradedBudgetFraction = value);
            reader.Integer(nameof(options.UnhealthyPeerDeadCount), value => options.UnhealthyPeerDeadCount = value);
        }

        Failures = failures;
    }
}

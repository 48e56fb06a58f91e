using System.Diagnostics.Metrics;
using System.Reflection;

namespace KeepAlive.Net.Diagnostics;

/// <summary>
/// The one way the <c>KeepAlive.Net</c> meter is created, compiled into KeepAlive.Net (the heartbeat instruments) and
/// KeepAlive.Net.Hosting (the profile instruments): through <see cref="IMeterFactory"/> when there is one, else a meter of
/// the caller's own, either way with the package's version, so that an exporter tells releases apart and a meter factory
/// (which keeps one meter per name, version and tags) gives both packages the same meter.
/// </summary>
internal static class KeepAliveMeter
{
    /// <summary>The meter's version: the informational version of the KeepAlive.Net assembly (e.g. <c>1.2.0+commit</c>).</summary>
    public static readonly string? Version =
        typeof(HeartbeatScheduler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>Creates the meter.</summary>
    /// <param name="meterFactory">The container's meter factory, or <see langword="null"/>.</param>
    /// <param name="owned">The meter created without a factory, for the caller to dispose; <see langword="null"/> with a factory.</param>
    /// <returns>The meter to create instruments on.</returns>
    public static Meter Create(IMeterFactory? meterFactory, out Meter? owned)
    {
        var options = new MeterOptions(KeepAliveMetricNames.MeterName) { Version = Version };
        owned = meterFactory is null ? new Meter(options) : null;
        return owned ?? meterFactory!.Create(options);
    }
}

using System.Diagnostics.Metrics;
using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The instruments of KeepAlive.Net.Hosting (and of ASP.NET Core, which logs through it) on the <c>KeepAlive.Net</c> meter,
/// created through <see cref="IMeterFactory"/> when the container has one, else on a meter of their own (as the heartbeat
/// instruments are), so they are published either way. One per container: the loggers Hosting and ASP.NET Core log with
/// (from reload callbacks, Kestrel's connection timers, start-up's reports, HttpClient's ConnectCallback) are guarded here
/// (<see cref="GuardedLogger"/>), so a logger that throws there ends nothing and leaves nothing half done.
/// </summary>
internal sealed class KeepAliveProfileMetrics : IDisposable
{
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _logFailed;

    public KeepAliveProfileMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = KeepAliveMeter.Create(meterFactory, out _ownedMeter);
        _rejected = meter.CreateCounter<long>(KeepAliveMetricNames.ReloadRejected, KeepAliveMetricNames.ReloadsUnit,
            "Configuration reloads that made a keep-alive profile invalid or removed it; the last valid values stayed in force.");
        _logFailed = GuardedLogger.CreateCounter(meter);
    }

    public void Rejected(string profile) => _rejected.Add(1, new KeyValuePair<string, object?>(KeepAliveMetricNames.ProfileTag, profile));

    /// <summary>The application's logger of <paramref name="category"/>, guarded: a log call never throws.</summary>
    public ILogger Logger(ILoggerFactory? loggerFactory, string category) =>
        GuardedLogger.Wrap((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(category), _logFailed);

    /// <summary>
    /// The application's logger of <paramref name="category"/> from <paramref name="services"/>, guarded by their metrics; by
    /// metrics of the process's own when the application registered its own profiles without <c>AddKeepAlive</c>.
    /// </summary>
    public static ILogger Logger(IServiceProvider services, string category) =>
        (services.GetService<KeepAliveProfileMetrics>() ?? Unregistered.Value).Logger(services.GetService<ILoggerFactory>(), category);

    private static readonly Lazy<KeepAliveProfileMetrics> Unregistered = new(static () => new KeepAliveProfileMetrics());

    public void Dispose() => _ownedMeter?.Dispose();
}

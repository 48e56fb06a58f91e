using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeepAlive.Net.Diagnostics;

/// <summary>
/// The application's logger as the library uses it: an exception from it (a logging provider that throws makes
/// Microsoft.Extensions.Logging's <c>Logger</c> throw an <see cref="AggregateException"/>) is caught and counted in
/// <c>keepalive.log.failed</c>, and the record dropped. The library logs from threads it owns (the scheduler's timer and
/// standby threads, the overdue watch), from where a send completes (often the thread pool), from timer callbacks (a Kestrel
/// connection's age and grace period) and from configuration reload callbacks, where nothing else would catch it: one log
/// call that throws would end the process, stop every heartbeat, or leave a reload half told; and from start-up and an
/// HttpClient's connections, where it would stop the host or fail the application's request for a log line. Compiled into
/// KeepAlive.Net, where <c>HeartbeatTelemetry</c> wraps the logger it is given (every log call of the scheduler and
/// <c>DriftMonitor</c>), and KeepAlive.Net.Hosting, where <c>KeepAliveProfileMetrics</c> wraps the loggers Hosting and
/// ASP.NET Core log with from reload callbacks, Kestrel's connection timers, start-up's reports and HttpClient's
/// ConnectCallback (the profiles', which the client packages log through too).
/// </summary>
internal sealed class GuardedLogger : ILogger
{
    private readonly ILogger _inner;
    private readonly Counter<long> _failed;

    private GuardedLogger(ILogger inner, Counter<long> failed) => (_inner, _failed) = (inner, failed);

    /// <summary>Guards <paramref name="logger"/>, counting its failures in <paramref name="failed"/>; a <see cref="NullLogger"/> cannot throw and stays as it is.</summary>
    public static ILogger Wrap(ILogger logger, Counter<long> failed) =>
        logger is NullLogger or GuardedLogger ? logger : new GuardedLogger(logger, failed);

    /// <summary>Creates the counter of the records dropped, <c>keepalive.log.failed</c>, on <paramref name="meter"/>.</summary>
    public static Counter<long> CreateCounter(Meter meter) =>
        meter.CreateCounter<long>(KeepAliveMetricNames.LogFailed, KeepAliveMetricNames.RecordsUnit, "Log records dropped because the application's logger threw; what the library was doing carries on.");

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception)
        {
            _failed.Add(1);
        }
    }

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return _inner.IsEnabled(logLevel);
        }
        catch (Exception)
        {
            _failed.Add(1);
            return false;
        }
    }

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return _inner.BeginScope(state);
        }
        catch (Exception)
        {
            _failed.Add(1);
            return null;
        }
    }
}

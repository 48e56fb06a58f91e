using System.Globalization;
using KeepAlive.Net;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Demo;

/// <summary>
/// The logger given to the PeriodicTimer's DriftMonitor: prints its overdue warning (event 2014, from
/// <see cref="DriftMonitor.WatchForOverdue"/>'s own thread) as a line between the table's rows, while the heartbeat still
/// waits in the starved thread pool. Everything else the monitor logs is left to the table and the result.
/// </summary>
internal sealed class OverdueWarnings(Func<TimeSpan> elapsed) : ILoggerFactory, ILogger
{
    private long _firstTicks = -1;

    /// <summary>Gets when the first overdue warning came (since the table started), or <see langword="null"/>.</summary>
    public TimeSpan? First => Interlocked.Read(ref _firstTicks) is >= 0 and var ticks ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>Writes when a warning came, since the table started, to a tenth of a second ("2s300ms"): one form for its line and the result.</summary>
    public static string At(TimeSpan sinceStart) => KeepAliveDuration.Format(sinceStart, TimeSpan.FromMilliseconds(100));

    /// <summary>The table's time column: as wide as the widest time it shows, a warning's within the demo's 20 s ("12s300ms").</summary>
    public const int TimeWidth = 8;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id != KeepAliveEventIds.HeartbeatOverdue || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return;
        }

        var at = elapsed();
        Interlocked.CompareExchange(ref _firstTicks, at.Ticks, -1);
        string? Value(string key) => Convert.ToString(values.FirstOrDefault(v => v.Key == key).Value, CultureInfo.InvariantCulture);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{At(at),TimeWidth}  ! warning 2014, while the PeriodicTimer heartbeat still waits: {Value("Overdue")} overdue, cause {Value("Cause")}; {Value("Budget")}"));
    }
}

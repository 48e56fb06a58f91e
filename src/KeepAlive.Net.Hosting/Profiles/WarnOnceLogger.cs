using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Profiles;

/// <summary>
/// The logger a profile's values configure sockets with: each distinct warning once (the same rounding, an overridden
/// probe count or an unsupported option is the same on every connection Kestrel or an HttpClient opens with those values),
/// everything below Warning each time. A reload that changes the <c>Tcp</c> section makes a new logger that warns again;
/// one that changes other settings only keeps this one (<see cref="KeepAliveProfiles"/>).
/// </summary>
internal sealed class WarnOnceLogger(ILogger inner) : ILogger
{
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Warning)
        {
            lock (_warned)
            {
                if (!_warned.Add($"{eventId.Id}\n{formatter(state, exception)}"))
                {
                    return;
                }
            }
        }

        inner.Log(logLevel, eventId, state, exception, formatter);
    }
}

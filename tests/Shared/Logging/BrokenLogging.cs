using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>
/// An application's logging that is broken: Microsoft.Extensions.Logging's own <see cref="LoggerFactory"/>, enabled from a
/// minimum level, with one provider that throws on every record it is given, so every logger the factory makes throws an
/// <see cref="AggregateException"/> of it (as the real Logger does when a provider throws). <see cref="IsFromHere"/> tells
/// its exceptions from any other. <see cref="AddTo"/> breaks an application's own logging, for one category only.
/// </summary>
internal sealed class BrokenLogging : IDisposable
{
    private readonly FakeLoggerProvider _provider;
    private readonly LogLevel _minimumLevel;
    private int _records;

    public BrokenLogging(LogLevel minimumLevel)
    {
        _minimumLevel = minimumLevel;
        var sink = FakeLogCollector.Create(new FakeLogCollectorOptions
        {
            OutputSink = _ =>
            {
                Interlocked.Increment(ref _records);
                throw new ProviderFailure();
            },
        });
        _provider = new FakeLoggerProvider(sink);
        Factory = LoggerFactory.Create(logging => logging.SetMinimumLevel(minimumLevel).AddProvider(_provider));
    }

    /// <summary>
    /// Adds the provider that throws to an application's logging, for <paramref name="category"/> only (from the minimum
    /// level): the host's and the framework's own loggers keep working, the library's of that category throw.
    /// </summary>
    public void AddTo(ILoggingBuilder logging, string category) =>
        logging.AddProvider(_provider).AddFilter<FakeLoggerProvider>((c, level) => c == category && level >= _minimumLevel);

    /// <summary>Gets the factory to give the library.</summary>
    public ILoggerFactory Factory { get; }

    /// <summary>Gets how many records the provider was given (each one threw).</summary>
    public int Records => Volatile.Read(ref _records);

    /// <summary>Whether <paramref name="exception"/> is (or wraps) the exception of this logging's provider.</summary>
    public static bool IsFromHere(Exception exception) =>
        exception is ProviderFailure || (exception is AggregateException aggregate && aggregate.InnerExceptions.Any(IsFromHere)) || (exception.InnerException is { } inner && IsFromHere(inner));

    public void Dispose() => Factory.Dispose();

    private sealed class ProviderFailure() : InvalidOperationException("The logging provider failed (the test's broken logging).");
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// An application's logging that is broken: Microsoft.Extensions.Logging's own <see cref="LoggerFactory"/>, enabled from a
/// minimum level, with one provider that throws on every record it is given, so every logger the factory makes throws an
/// <see cref="AggregateException"/> of it (as the real Logger does when a provider throws). <see cref="IsFromHere"/> tells
/// its exceptions from any other.
/// </summary>
internal sealed class BrokenLogging : IDisposable
{
    private int _records;

    public BrokenLogging(LogLevel minimumLevel)
    {
        var sink = FakeLogCollector.Create(new FakeLogCollectorOptions
        {
            OutputSink = _ =>
            {
                Interlocked.Increment(ref _records);
                throw new ProviderFailure();
            },
        });
        Factory = LoggerFactory.Create(logging => logging.SetMinimumLevel(minimumLevel).AddProvider(new FakeLoggerProvider(sink)));
    }

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

using KeepAlive.Net.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>The events written through <see cref="LogFields"/> (2002-2004, 2006, 2010, 2013) ask the logger once whether their level is on.</summary>
public sealed class LogFieldsTests
{
    public static TheoryData<string> Events() => [.. Writes.Keys];

    // Each event written through LogFields, by its method's name.
    private static readonly Dictionary<string, Action<ILogger>> Writes = new()
    {
        [nameof(Log.HeartbeatLate)] = l => Log.HeartbeatLate(l, "db", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), HeartbeatDelayCause.Unknown, "none", 0),
        [nameof(Log.HeartbeatBudgetWarning)] = l => Log.HeartbeatBudgetWarning(l, "db", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), "4s", HeartbeatDelayCause.Unknown, "none"),
        [nameof(Log.HeartbeatBudgetExceeded)] = l => Log.HeartbeatBudgetExceeded(l, "db", TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), "4s", HeartbeatDelayCause.Unknown, "none"),
        [nameof(Log.HeartbeatSendBlocked)] = l => Log.HeartbeatSendBlocked(l, "db", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), "a blocking call"),
        [nameof(Log.HeartbeatTimerTakenOver)] = l => Log.HeartbeatTimerTakenOver(l, "db", 2000, 3, 2),
        [nameof(Log.HeartbeatOutputWaiting)] = l => Log.HeartbeatOutputWaiting(l, "Write", "HeartbeatStream", "db", 200),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Write_LevelOn_AsksTheLoggerOnceAndWritesOneRecord(string name)
    {
        // Each caller asked IsEnabled, then LogFields.Write asked again: the check lived in seven places, twice per record.
        var logger = new CountingLogger(enabled: true);

        Writes[name](logger);

        logger.IsEnabledCalls.Should().Be(1, "{0} asks whether its level is on once", name);
        logger.Records.Should().ContainSingle().Which.Should().NotBeNullOrEmpty();
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Write_LevelOff_WritesNothing(string name)
    {
        var logger = new CountingLogger(enabled: false);

        Writes[name](logger);

        logger.IsEnabledCalls.Should().Be(1);
        logger.Records.Should().BeEmpty("{0} is off at this level", name);
    }

    private sealed class CountingLogger(bool enabled) : ILogger
    {
        public int IsEnabledCalls { get; private set; }

        public List<string> Records { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel)
        {
            IsEnabledCalls++;
            return enabled;
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Records.Add(formatter(state, exception));
    }
}

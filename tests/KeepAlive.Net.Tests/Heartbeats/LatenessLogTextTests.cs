using static KeepAlive.Net.Tests.Heartbeats.ManualScheduler;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>
/// Events 2002, 2003 and 2004 write their durations in the form the configuration reads ("2s", "1s600ms"), while their
/// numeric fields (LatenessMs, ThresholdMs, MarginMs) stay for the dashboards that query them.
/// </summary>
public sealed class LatenessLogTextTests
{
    [Fact]
    public void HeartbeatLate_Message_DurationsReadBackAndMillisecondFieldsKept()
    {
        using var harness = new ManualScheduler();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), DriftWarningThreshold = Second, Name = "db" }, new Recorder().Send);

        harness.Step(TimeSpan.FromMilliseconds(9990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(2010));

        var log = harness.Telemetry.LogsWithId(KeepAliveEventIds.HeartbeatLate).Should().ContainSingle().Subject;
        log.ShouldWriteDurations("2s", "1s");
        log.Message.Should().Contain("started 2s late (warning threshold 1s)");
        log.ShouldKeepFields(("LatenessMs", "2000"), ("ThresholdMs", "1000"));
    }

    [Theory]
    [InlineData(1610, KeepAliveEventIds.HeartbeatBudgetWarning, "1s600ms", "started 1s600ms late, at least half of the 2s500ms margin", "1600")]
    [InlineData(3510, KeepAliveEventIds.HeartbeatBudgetExceeded, "3s500ms", "started 3s500ms late, beyond the 2s500ms margin", "3500")]
    public void LatenessBudget_Message_DurationsReadBackAndMillisecondFieldsKept(int stallMs, int eventId, string lateness, string shape, string latenessMs)
    {
        using var harness = new ManualScheduler();
        using var registration = harness.Scheduler.Register(
            new HeartbeatOptions { Interval = Second, PeerIdleTimeout = TimeSpan.FromSeconds(4), DriftWarningThreshold = TimeSpan.FromSeconds(10) }, new Recorder().Send);

        harness.Step(TimeSpan.FromMilliseconds(990), Tick);
        harness.Jump(TimeSpan.FromMilliseconds(stallMs));

        var log = harness.Telemetry.LogsWithId(eventId).Should().ContainSingle().Subject;
        log.ShouldWriteDurations(lateness, "2s500ms", "4s");
        log.Message.Should().Contain(shape, "the margin is the peer's idle timeout 4s less the interval 1s, the jitter and the spread");
        log.ShouldKeepFields(("LatenessMs", latenessMs), ("MarginMs", "2500"));
    }
}

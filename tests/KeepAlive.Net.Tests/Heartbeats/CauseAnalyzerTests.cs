using Microsoft.Extensions.Time.Testing;
using KeepAlive.Net.Heartbeats;
using KeepAlive.Net.Tests.TestSupport;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>The lateness of a heartbeat is split into timer, wait-in-the-batch and callback parts; the largest names the cause.</summary>
public sealed class CauseAnalyzerTests
{
    private static readonly FakeTimeProvider Clock = new();
    private static readonly long Second = Clock.TimestampFrequency;
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(2);

    [Fact]
    public void Analyze_PreviousSendOverran_SendBlockedWinsOverOtherEvidence() =>
        CauseAnalyzer.Analyze(Timeline(timer: 2 * Second, HeartbeatDelayCause.GcPause), previousOverran: true, 0, Late, sendBlocked: false, Clock)
            .Cause.Should().Be(HeartbeatDelayCause.SendBlocked);

    [Theory]
    [InlineData(HeartbeatDelayCause.GcPause, "GC")]
    [InlineData(HeartbeatDelayCause.ProcessPaused, "paused")]
    [InlineData(HeartbeatDelayCause.SchedulerOverload, "behind")]
    public void Analyze_TimerThreadTookItLate_TimerCauseWithEvidence(HeartbeatDelayCause timerCause, string evidence)
    {
        var (cause, text) = CauseAnalyzer.Analyze(Timeline(timer: 2 * Second, timerCause), previousOverran: false, 0, Late, sendBlocked: false, Clock);

        cause.Should().Be(timerCause);
        text.Should().Contain(evidence).And.Contain("2s");
    }

    [Fact]
    public void Analyze_WaitedBehindTheRestOfItsBatch_SchedulerOverload()
    {
        var (cause, text) = CauseAnalyzer.Analyze(Timeline(waited: 2 * Second), previousOverran: false, 0, Late, sendBlocked: false, Clock);

        cause.Should().Be(HeartbeatDelayCause.SchedulerOverload);
        text.Should().Contain("behind the other heartbeats of its batch");
    }

    [Fact]
    public void Analyze_CallbackHoppedOntoThePoolBeforeSending_ThreadPoolStarvation()
    {
        var (cause, text) = CauseAnalyzer.Analyze(Timeline(), previousOverran: false, SendMark.Of(Late, onThreadPool: true), Late, sendBlocked: false, Clock);

        cause.Should().Be(HeartbeatDelayCause.ThreadPoolStarvation);
        text.Should().Contain("thread pool");
    }

    [Fact]
    public void Analyze_CallbackSlowBeforeSendingOnItsOwnThread_SendBlocked() =>
        CauseAnalyzer.Analyze(Timeline(), previousOverran: false, SendMark.Of(Late, onThreadPool: false), Late, sendBlocked: false, Clock).Cause.Should().Be(HeartbeatDelayCause.SendBlocked);

    [Fact]
    public void Analyze_NoPartDominates_Unknown() =>
        CauseAnalyzer.Analyze(Timeline(), previousOverran: false, 0, Late, sendBlocked: false, Clock).Cause.Should().Be(HeartbeatDelayCause.Unknown);

    [Fact]
    public void AnalyzeWindow_GcPauseAndStarvation_TheMeasuredDurationsReadBackToTheMillisecond()
    {
        var gc = CauseAnalyzer.AnalyzeWindow(TimeSpan.FromMilliseconds(1500.4), TimeSpan.FromMilliseconds(2000.6), sendBlocked: false).Text;
        var other = CauseAnalyzer.AnalyzeWindow(TimeSpan.FromMilliseconds(0.3), TimeSpan.FromSeconds(90), sendBlocked: false).Text;

        DurationText.NotReadBack(gc + "\n" + other).Should().BeEmpty("measured durations are written as the configuration reads them: {0} / {1}", gc, other);
        gc.Should().Contain("GC paused the process for 1s500ms of the 2s1ms", "a measured duration is rounded to the millisecond");
    }

    private static BeatTimeline Timeline(long timer = 0, HeartbeatDelayCause timerCause = HeartbeatDelayCause.None, long waited = 0)
    {
        const long due = 1_000_000;
        return new BeatTimeline(due, due + timer, timerCause, TimerLoop.GcPauseTicks(), due + timer + waited);
    }
}

using KeepAlive.Net.Heartbeats;

namespace KeepAlive.Net.Tests.Heartbeats;

public sealed class CauseAnalyzerTests
{
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(2);
    private static readonly RuntimeEvidence Quiet = new(40, 0, 0, 4, 4, TimeSpan.Zero, TimeSpan.Zero);

    [Fact]
    public void Analyze_SendBlocked_WinsOverOtherEvidence() =>
        CauseAnalyzer.Analyze(Late, sendBlocked: true, 0, overloaded: true, Quiet with { GcPause = Late }).Cause.Should().Be(HeartbeatDelayCause.SendBlocked);

    [Fact]
    public void Analyze_GcPausedMostOfTheWindow_GcPause()
    {
        var (cause, evidence) = CauseAnalyzer.Analyze(Late, false, 0, false, Quiet with { GcPause = TimeSpan.FromMilliseconds(1500), MaxSamplerGap = TimeSpan.FromMilliseconds(1500) });
        cause.Should().Be(HeartbeatDelayCause.GcPause);
        evidence.Should().Contain("1.5 s");
    }

    [Fact]
    public void Analyze_DedicatedSamplerThreadAlsoStoppedWithoutGc_ProcessPaused() =>
        CauseAnalyzer.Analyze(Late, false, 0, false, Quiet with { MaxSamplerGap = TimeSpan.FromMilliseconds(1900) }).Cause.Should().Be(HeartbeatDelayCause.ProcessPaused);

    [Fact]
    public void Analyze_ManyQueuedForDispatchers_SchedulerOverload()
    {
        var (cause, evidence) = CauseAnalyzer.Analyze(Late, false, 5000, true, Quiet);
        cause.Should().Be(HeartbeatDelayCause.SchedulerOverload);
        evidence.Should().Contain("5000");
    }

    [Fact]
    public void Analyze_QueuedWorkItemsThroughoutTheWindow_ThreadPoolStarvation()
    {
        var (cause, evidence) = CauseAnalyzer.Analyze(Late, false, 0, false, Quiet with { SamplesWithQueuedWork = 38, MaxQueuedWork = 190, MaxThreadCount = 7 });
        cause.Should().Be(HeartbeatDelayCause.ThreadPoolStarvation);
        evidence.Should().Contain("190 queued work items").And.Contain("4 -> 7 threads");
    }

    [Fact]
    public void Analyze_OccasionalQueuedWorkOnly_Unknown() =>
        CauseAnalyzer.Analyze(Late, false, 0, false, Quiet with { SamplesWithQueuedWork = 3, MaxQueuedWork = 2 }).Cause.Should().Be(HeartbeatDelayCause.Unknown);
}

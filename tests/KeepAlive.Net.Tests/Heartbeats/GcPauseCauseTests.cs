namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>Real runtime evidence: a blocking full GC during the late window. Runs alone (it pauses the whole process).</summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class GcPauseCauseTests
{
    [Fact]
    public void DriftMonitorRecord_FullBlockingGcInTheLateWindow_CauseGcPause()
    {
        using var monitor = new DriftMonitor(new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), DriftWarningThreshold = TimeSpan.FromMilliseconds(1) });
        var graph = new object[3_000_000];
        for (var i = 0; i < graph.Length; i++)
        {
            graph[i] = new byte[16 + (i % 64)];
        }

        Thread.Sleep(150); // let the sampler record the state before the pause
        var pauseBefore = GC.GetTotalPauseDuration();
        var due = TimeProvider.System.GetTimestamp();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var sent = TimeProvider.System.GetTimestamp();
        var pause = GC.GetTotalPauseDuration() - pauseBefore;
        var lateness = TimeProvider.System.GetElapsedTime(due, sent);
        GC.KeepAlive(graph);
        if (pause < lateness / 2 || lateness < TimeSpan.FromMilliseconds(1))
        {
            Assert.Skip($"the GC paused {pause.TotalMilliseconds} ms of a {lateness.TotalMilliseconds} ms window; not a GC-dominated delay on this run");
        }

        var report = monitor.Record(due, sent);

        report.IsDelayed.Should().BeTrue();
        report.Cause.Should().Be(HeartbeatDelayCause.GcPause, "the GC paused {0} ms of {1} ms", pause.TotalMilliseconds, lateness.TotalMilliseconds);
    }
}

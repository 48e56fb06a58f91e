using System.Globalization;

namespace KeepAlive.Net.Heartbeats;

/// <summary>Names the cause of one late heartbeat from the evidence of its late window.</summary>
internal static class CauseAnalyzer
{
    public static (HeartbeatDelayCause Cause, string Evidence) Analyze(TimeSpan lateness, bool sendBlocked, int queuedAtDispatch, bool overloaded, in RuntimeEvidence evidence)
    {
        var half = lateness / 2;
        if (sendBlocked)
        {
            return (HeartbeatDelayCause.SendBlocked, "the previous send of this registration was still running when this heartbeat was due, or this send blocked");
        }

        if (evidence.GcPause >= half && evidence.GcPause > TimeSpan.Zero)
        {
            return (HeartbeatDelayCause.GcPause, Invariant($"GC paused the process for {KeepAliveFormat.Duration(evidence.GcPause)} of the {KeepAliveFormat.Duration(lateness)}"));
        }

        if (evidence.MaxSamplerGap >= half && evidence.MaxSamplerGap > TimeSpan.Zero)
        {
            return (HeartbeatDelayCause.ProcessPaused, Invariant($"a dedicated sampler thread did not run for {KeepAliveFormat.Duration(evidence.MaxSamplerGap)} either, without a GC: the whole process was paused or throttled"));
        }

        if (overloaded)
        {
            return (HeartbeatDelayCause.SchedulerOverload, Invariant($"{queuedAtDispatch} heartbeats were waiting for a dispatcher thread"));
        }

        if (evidence.MaxQueuedWork > 0 && evidence.SamplesWithQueuedWork * 2 >= evidence.Samples)
        {
            return (HeartbeatDelayCause.ThreadPoolStarvation, Invariant(
                $"thread pool: up to {evidence.MaxQueuedWork} queued work items in {evidence.SamplesWithQueuedWork} of {evidence.Samples} samples, {evidence.FirstThreadCount} -> {evidence.MaxThreadCount} threads"));
        }

        return (HeartbeatDelayCause.Unknown, Invariant(
            $"no evidence: GC pause {KeepAliveFormat.Duration(evidence.GcPause)}, up to {evidence.MaxQueuedWork} queued work items, sampler gap {KeepAliveFormat.Duration(evidence.MaxSamplerGap)}"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

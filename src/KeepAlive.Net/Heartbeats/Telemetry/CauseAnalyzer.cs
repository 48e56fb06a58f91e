using System.Globalization;

namespace KeepAlive.Net.Heartbeats;

/// <summary>
/// Names the cause of a late heartbeat by splitting its lateness: the timer thread taking it late (a GC, a paused process,
/// its backlog), the wait behind its batch, and the callback's time before the transport (a starved pool, a blocked send).
/// The largest part names the cause; the evidence says the numbers.
/// </summary>
internal static class CauseAnalyzer
{
    /// <summary>A heartbeat of a <see cref="HeartbeatScheduler"/>, from its timeline and <see cref="SendMark"/> (0: the callback did not say).</summary>
    public static (HeartbeatDelayCause Cause, string Text) Analyze(in BeatTimeline timeline, bool previousOverran, int sendMark, TimeSpan lateness, bool sendBlocked, TimeProvider clock)
    {
        var half = lateness / 2;
        if (previousOverran || sendBlocked)
        {
            return (HeartbeatDelayCause.SendBlocked, "the previous send of this registration (or its Delayed handler, which runs on the scheduler's thread) was still running when this heartbeat was due, or this send blocked");
        }

        var timerPart = clock.GetElapsedTime(timeline.Due, timeline.Popped);
        if (timerPart >= half && timeline.TimerCause != HeartbeatDelayCause.None)
        {
            return timeline.TimerCause switch
            {
                HeartbeatDelayCause.GcPause => (HeartbeatDelayCause.GcPause, Invariant($"the timer thread took it {Ms(timerPart)} late while a GC paused the process")),
                HeartbeatDelayCause.ProcessPaused => (HeartbeatDelayCause.ProcessPaused, Invariant($"the scheduler's own timer thread woke {Ms(timerPart)} late without a GC: the whole process was paused (SIGSTOP, a debugger, a frozen cgroup) or starved of CPU")),
                _ => (HeartbeatDelayCause.SchedulerOverload, Invariant($"the timer thread was {Ms(timerPart)} behind: more heartbeats were due at once than it could take")),
            };
        }

        var queuePart = clock.GetElapsedTime(timeline.Popped, timeline.Start);
        if (queuePart >= half)
        {
            var gc = TimeSpan.FromTicks(Math.Max(0, TimerLoop.GcPauseTicks() - timeline.GcAtPop));
            return gc >= queuePart / 2 && gc > TimeSpan.Zero
                ? (HeartbeatDelayCause.GcPause, Invariant($"GC paused the process for {Ms(gc)} of the {Ms(queuePart)} it waited behind the other heartbeats of its batch"))
                : (HeartbeatDelayCause.SchedulerOverload, Invariant($"it waited {Ms(queuePart)} behind the other heartbeats of its batch: more were due at once than the scheduler's threads could send in time"));
        }

        var callbackPart = lateness - timerPart - queuePart;
        if (SendMark.IsMarked(sendMark) && callbackPart >= half)
        {
            if (SendMark.IsOnThreadPool(sendMark))
            {
                return (HeartbeatDelayCause.ThreadPoolStarvation, Invariant(
                    $"the callback hopped onto the thread pool and waited {Ms(callbackPart)} there before handing the heartbeat to the transport; the pool now has {ThreadPool.PendingWorkItemCount} queued work items and {ThreadPool.ThreadCount} threads. Fix: send from the heartbeat callback itself, without awaiting anything first"));
            }

            return (HeartbeatDelayCause.SendBlocked, Invariant($"the callback took {Ms(callbackPart)} before handing the heartbeat to the transport"));
        }

        return (HeartbeatDelayCause.Unknown, Invariant($"no evidence: timer {Ms(timerPart)}, wait in the batch {Ms(queuePart)}, callback {Ms(callbackPart)}"));
    }

    /// <summary>A heartbeat of the application's own timer, reported to a <see cref="DriftMonitor"/>, from the GC pause time since the monitor's previous record (which came before this heartbeat was due).</summary>
    /// <param name="gcSinceLastRecord">GC pause time since the monitor's previous record.</param>
    /// <param name="lateness">How late the heartbeat is.</param>
    /// <param name="sendBlocked">Its send ran past the blocked threshold.</param>
    /// <param name="stillWaiting">It has not been recorded yet: the overdue watch asks, from its own thread.</param>
    public static (HeartbeatDelayCause Cause, string Text) AnalyzeWindow(TimeSpan gcSinceLastRecord, TimeSpan lateness, bool sendBlocked, bool stillWaiting = false)
    {
        if (sendBlocked)
        {
            return (HeartbeatDelayCause.SendBlocked, "the send ran longer than the blocked threshold");
        }

        if (gcSinceLastRecord is var gc && gc >= lateness / 2 && gc > TimeSpan.Zero)
        {
            return (HeartbeatDelayCause.GcPause, Invariant($"GC paused the process for {Ms(gc)} of the {Ms(lateness)}"));
        }

        var queued = ThreadPool.PendingWorkItemCount;
        if (queued > 0 || Thread.CurrentThread.IsThreadPoolThread)
        {
            return (HeartbeatDelayCause.ThreadPoolStarvation, Invariant(
                $"{(stillWaiting ? "still not recorded" : Thread.CurrentThread.IsThreadPoolThread ? "recorded on a thread-pool thread" : "recorded on another thread")} {Ms(lateness)} late without a GC; {queued} queued thread-pool work items, {ThreadPool.ThreadCount} threads: timers, PeriodicTimer and Task.Delay continuations wait in that queue"));
        }

        return (HeartbeatDelayCause.Unknown, Invariant($"no evidence: GC pause {Ms(gc)}, no queued thread-pool work; the process may have been paused or starved of CPU (a HeartbeatScheduler's own timer thread tells those apart: cause ProcessPaused)"));
    }

    private static string Ms(TimeSpan value) => KeepAliveDuration.FormatMeasured(value);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

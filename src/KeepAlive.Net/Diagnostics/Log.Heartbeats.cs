using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Diagnostics;

/// <summary>Heartbeat messages (event ids 2000-2999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatRegistered, Level = LogLevel.Debug,
        Message = "Heartbeat '{Name}' registered: {Mode} every {Interval}, timeout {Timeout}, peer idle timeout {PeerIdleTimeout}, spread of a burst up to {Spread}")]
    public static partial void HeartbeatRegistered(ILogger logger, string name, HeartbeatMode mode, string interval, string timeout, string peerIdleTimeout, string spread);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatUnregistered, Level = LogLevel.Debug,
        Message = "Heartbeat '{Name}' stopped after {Sent} heartbeats{Running}")]
    public static partial void HeartbeatUnregistered(ILogger logger, string name, long sent, string running);

    // Events 2002-2004, 2006, 2010 and 2013 write their durations as configuration reads them ("1s600ms"), and keep the numbers
    // of milliseconds they wrote before as fields outside the message (LatenessMs, ThresholdMs, MarginMs, RunningMs, HeldMs,
    // WaitedMs) for the dashboards built on them.
    private const string HeartbeatLateMessage = "Heartbeat '{Name}' started {Lateness} late (warning threshold {Threshold}), cause {Cause}: {Evidence}; due heartbeats folded into it: {Skipped}";
    private const string HeartbeatBudgetWarningMessage = "Heartbeat '{Name}' started {Lateness} late, at least half of the {Margin} margin (the peer's idle timeout {PeerIdleTimeout} less the interval, jitter and spread); cause {Cause}: {Evidence}";
    private const string HeartbeatBudgetExceededMessage = "Heartbeat '{Name}' started {Lateness} late, beyond the {Margin} margin: it arrives after the peer's idle timeout {PeerIdleTimeout}, which may already have closed the connection; cause {Cause}: {Evidence}";
    private const string HeartbeatSendBlockedMessage = "Heartbeat '{Name}' send has been running for {Running}, over the blocked threshold of {Threshold} ({Kind}); other registrations are not held up";
    private const string HeartbeatTimerTakenOverMessage = "A callback of heartbeat '{Name}' has held the timer thread for {Held}, past the takeover threshold, while the loop was needed (other heartbeats, a registration made meanwhile, or its own blocked report); a standby thread took the timer loop over with the {Waiting} heartbeats of the batch not started yet ({Threads} scheduler threads now)";
    private const string HeartbeatOutputWaitingMessage = "The application's {Call} on the {Owner} of heartbeat '{Name}' has waited {Waited} (its BlockedCallbackThreshold) for the heartbeat's write to end, which cannot be withdrawn and waits for the peer to read; it keeps waiting (a blocking call holding its thread, an asynchronous one without one) until that write ends or the wait is ended (on a HeartbeatDuplexPipe, CancelPendingFlush ends an Output.FlushAsync/WriteAsync's wait; on a HeartbeatStream, the call's cancellation token ends a WriteAsync/FlushAsync/BeginMessageAsync's wait, and a Write/Flush/BeginMessage's ends at the inner stream's WriteTimeout when it can time out). Fix: when the peer may stop reading, bound the connection (TCP_USER_TIMEOUT, the peer's Timeout) and close it, which ends the write";

    public static void HeartbeatLate(ILogger logger, string name, TimeSpan lateness, TimeSpan threshold, HeartbeatDelayCause cause, string evidence, long skipped) =>
        LogFields.Write(logger, LogLevel.Warning, new(KeepAliveEventIds.HeartbeatLate, nameof(HeartbeatLate)), HeartbeatLateMessage, (name, lateness, threshold, cause, evidence, skipped), static s =>
        [
            ("Name", s.name), ("Lateness", KeepAliveDuration.FormatMeasured(s.lateness)), ("Threshold", KeepAliveDuration.Format(s.threshold)), ("Cause", s.cause),
            ("Evidence", s.evidence), ("Skipped", s.skipped), ("LatenessMs", s.lateness.TotalMilliseconds), ("ThresholdMs", s.threshold.TotalMilliseconds),
        ]);

    public static void HeartbeatBudgetWarning(ILogger logger, string name, TimeSpan lateness, TimeSpan margin, string peerIdleTimeout, HeartbeatDelayCause cause, string evidence) =>
        LogFields.Write(logger, LogLevel.Warning, new(KeepAliveEventIds.HeartbeatBudgetWarning, nameof(HeartbeatBudgetWarning)), HeartbeatBudgetWarningMessage,
            new LatenessBudget(name, lateness, margin, peerIdleTimeout, cause, evidence), LatenessBudget.Fields);

    public static void HeartbeatBudgetExceeded(ILogger logger, string name, TimeSpan lateness, TimeSpan margin, string peerIdleTimeout, HeartbeatDelayCause cause, string evidence) =>
        LogFields.Write(logger, LogLevel.Error, new(KeepAliveEventIds.HeartbeatBudgetExceeded, nameof(HeartbeatBudgetExceeded)), HeartbeatBudgetExceededMessage,
            new LatenessBudget(name, lateness, margin, peerIdleTimeout, cause, evidence), LatenessBudget.Fields);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatSendFailed, Level = LogLevel.Warning,
        Message = "Heartbeat '{Name}' send failed ({ConsecutiveFailures} in a row); the registration tries again at the next heartbeat")]
    public static partial void HeartbeatSendFailed(ILogger logger, Exception exception, string name, int consecutiveFailures);

    public static void HeartbeatSendBlocked(ILogger logger, string name, TimeSpan running, TimeSpan threshold, string kind) =>
        LogFields.Write(logger, LogLevel.Warning, new(KeepAliveEventIds.HeartbeatSendBlocked, nameof(HeartbeatSendBlocked)), HeartbeatSendBlockedMessage, (name, running, threshold, kind), static s =>
        [
            ("Name", s.name), ("Running", KeepAliveDuration.FormatMeasured(s.running)), ("Threshold", KeepAliveDuration.Format(s.threshold)), ("Kind", s.kind),
            ("RunningMs", s.running.TotalMilliseconds), ("ThresholdMs", s.threshold.TotalMilliseconds),
        ]);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatSkipped, Level = LogLevel.Debug,
        Message = "Heartbeat '{Name}' folded {Skipped} due heartbeats into one after a stall and re-based its schedule")]
    public static partial void HeartbeatSkipped(ILogger logger, string name, long skipped);

    [LoggerMessage(EventId = KeepAliveEventIds.PeerDead, Level = LogLevel.Warning,
        Message = "Peer of heartbeat '{Name}' declared dead: {Reason}")]
    public static partial void PeerDead(ILogger logger, Exception? exception, string name, string reason);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatHandlerFailed, Level = LogLevel.Error,
        Message = "A handler of heartbeat '{Name}' event {Event} threw; the exception is logged here and ignored, and the heartbeats carry on")]
    public static partial void HeartbeatHandlerFailed(ILogger logger, Exception exception, string name, string @event);

    public static void HeartbeatTimerTakenOver(ILogger logger, string name, double heldMs, int waiting, int threads) =>
        LogFields.Write(logger, LogLevel.Warning, new(KeepAliveEventIds.HeartbeatTimerTakenOver, nameof(HeartbeatTimerTakenOver)), HeartbeatTimerTakenOverMessage, (name, heldMs, waiting, threads), static s =>
        [
            ("Name", s.name), ("Held", KeepAliveDuration.FormatMeasured(TimeSpan.FromMilliseconds(s.heldMs))), ("Waiting", s.waiting), ("Threads", s.threads), ("HeldMs", s.heldMs),
        ]);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatSchedulerLifecycle, Level = LogLevel.Debug,
        Message = "Heartbeat scheduler {State} (a timer thread and {Standbys} standby threads, timer wait: {TimerWait})")]
    public static partial void HeartbeatSchedulerLifecycle(ILogger logger, string state, int standbys, string timerWait);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatOutputCompletionFailed, Level = LogLevel.Warning,
        Message = "Completing the output of the {Owner} of heartbeat '{Name}' failed after Output.Complete had returned (it waited for the heartbeat's write to end, and nobody awaits it); the output is closed and its inner writer was completed anyway")]
    public static partial void HeartbeatOutputCompletionFailed(ILogger logger, Exception exception, string owner, string name);

    public static void HeartbeatOutputWaiting(ILogger logger, string call, string owner, string name, double waitedMs) =>
        LogFields.Write(logger, LogLevel.Warning, new(KeepAliveEventIds.HeartbeatOutputWaiting, nameof(HeartbeatOutputWaiting)), HeartbeatOutputWaitingMessage, (call, owner, name, waitedMs), static s =>
        [
            ("Call", s.call), ("Owner", s.owner), ("Name", s.name), ("Waited", KeepAliveDuration.Format(TimeSpan.FromMilliseconds(s.waitedMs))), ("WaitedMs", s.waitedMs),
        ]);

    [LoggerMessage(EventId = KeepAliveEventIds.HeartbeatOverdue, Level = LogLevel.Warning,
        Message = "The application's heartbeat '{Name}' is {Overdue} overdue and still not recorded: none since {Since}, {SinceLast} ago, which is more than its Interval {Interval} plus the {LateFrom} from which a heartbeat is late (DriftWarningThreshold, or half the lateness budget when less). Likely cause {Cause}: {Evidence}. {Budget}")]
    public static partial void HeartbeatOverdue(ILogger logger, string name, string overdue, string since, string sinceLast, string interval, string lateFrom, HeartbeatDelayCause cause, string evidence, string budget);

    // The values of events 2003 and 2004, and their fields.
    private readonly record struct LatenessBudget(string Name, TimeSpan Lateness, TimeSpan Margin, string PeerIdleTimeout, HeartbeatDelayCause Cause, string Evidence)
    {
        public static readonly Func<LatenessBudget, (string Name, object? Value)[]> Fields = static s =>
        [
            ("Name", s.Name), ("Lateness", KeepAliveDuration.FormatMeasured(s.Lateness)), ("Margin", KeepAliveDuration.Format(s.Margin)), ("PeerIdleTimeout", s.PeerIdleTimeout),
            ("Cause", s.Cause), ("Evidence", s.Evidence), ("LatenessMs", s.Lateness.TotalMilliseconds), ("MarginMs", s.Margin.TotalMilliseconds),
        ];
    }
}

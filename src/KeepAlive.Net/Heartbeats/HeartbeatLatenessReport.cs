namespace KeepAlive.Net;

/// <summary>The accounting of one heartbeat: how late it was, why, and whether it endangered the connection.</summary>
/// <param name="Lateness">Start of the send minus its due time (zero when it was on time or early).</param>
/// <param name="SendDuration">How long the send took, or <see cref="TimeSpan.Zero"/> when unknown.</param>
/// <param name="Cause">Why it was late; <see cref="HeartbeatDelayCause.None"/> when it was not delayed.</param>
/// <param name="IsDelayed">Whether the lateness reached <see cref="HeartbeatOptions.DriftWarningThreshold"/> or half the budget.</param>
/// <param name="BudgetExceeded">Whether the heartbeat arrived after the peer's idle timeout would have expired.</param>
/// <param name="Skipped">How many further due heartbeats passed while this one was late (folded into it).</param>
public readonly record struct HeartbeatLatenessReport(
    TimeSpan Lateness,
    TimeSpan SendDuration,
    HeartbeatDelayCause Cause,
    bool IsDelayed,
    bool BudgetExceeded,
    long Skipped);

namespace KeepAlive.Net.Heartbeats;

/// <summary>The small report of one heartbeat that the engine hands to <see cref="HeartbeatTelemetry"/>.</summary>
/// <param name="Lateness">When the send started (or was handed to the transport) minus its due time.</param>
/// <param name="SendDuration">How long the send took.</param>
/// <param name="Skipped">Whole intervals that passed while it was late: due heartbeats folded into it.</param>
/// <param name="Failure">Why the send failed, or <see langword="null"/>.</param>
/// <param name="IsDelayed">Whether it was late enough to report.</param>
/// <param name="BudgetWarning">Whether it used half the margin before the peer's idle timeout.</param>
/// <param name="BudgetExceeded">Whether it arrived after the peer's idle timeout would have expired.</param>
internal readonly record struct BeatOutcome(
    TimeSpan Lateness,
    TimeSpan SendDuration,
    long Skipped,
    Exception? Failure,
    bool IsDelayed,
    bool BudgetWarning,
    bool BudgetExceeded)
{
    /// <summary>Gets the cause of a delayed heartbeat.</summary>
    public HeartbeatDelayCause Cause { get; init; }

    /// <summary>Gets the evidence for the cause, in words.</summary>
    public string Evidence { get; init; } = string.Empty;

    public HeartbeatLatenessReport ToReport() => new(Lateness, SendDuration, Cause, IsDelayed, BudgetExceeded, Skipped);
}

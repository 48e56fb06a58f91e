namespace KeepAlive.Net;

/// <summary>What a heartbeat callback knows about the heartbeat it sends. A value type: passing it allocates nothing.</summary>
public readonly struct HeartbeatContext
{
    internal HeartbeatContext(HeartbeatRegistration registration, long dueTimestamp, long startTimestamp, long sequenceNumber, TimeProvider timeProvider)
    {
        Registration = registration;
        DueTimestamp = dueTimestamp;
        StartTimestamp = startTimestamp;
        SequenceNumber = sequenceNumber;
        Lateness = timeProvider.GetElapsedTime(dueTimestamp, startTimestamp);
    }

    /// <summary>Gets the registration this heartbeat belongs to.</summary>
    public HeartbeatRegistration Registration { get; }

    /// <summary>Gets the registration's name, or an empty string.</summary>
    public string Name => Registration.Name;

    /// <summary>Gets when the heartbeat was due, as a <see cref="TimeProvider.GetTimestamp"/> value.</summary>
    public long DueTimestamp { get; }

    /// <summary>Gets when the callback was started, as a <see cref="TimeProvider.GetTimestamp"/> value; never before <see cref="DueTimestamp"/>.</summary>
    public long StartTimestamp { get; }

    /// <summary>Gets how late the callback was started (start minus due time).</summary>
    public TimeSpan Lateness { get; }

    /// <summary>Gets the number of this heartbeat for its registration, starting at 1.</summary>
    public long SequenceNumber { get; }

    /// <summary>Gets a token that is cancelled when the registration or the scheduler is disposed.</summary>
    public CancellationToken CancellationToken => Registration.CancellationToken;

    /// <summary>
    /// Marks the moment the heartbeat is handed to the transport (right before the send call), when that is later than
    /// the callback's start, for example after an <see langword="await"/>: the lateness is then measured up to this
    /// moment, so a hop onto a starved thread pool shows up as lateness with its cause. The built-in socket heartbeat
    /// calls it itself. Without it, lateness is measured at the callback's start. It marks this heartbeat only: called
    /// through a context kept after its heartbeat ended, it does nothing.
    /// </summary>
    public void ReportSendStarted() => Registration.ReportSendStarted(DueTimestamp);
}

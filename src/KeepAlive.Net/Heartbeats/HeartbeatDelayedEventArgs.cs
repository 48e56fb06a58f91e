namespace KeepAlive.Net;

/// <summary>A heartbeat started late; raised once per delayed heartbeat, with the cause.</summary>
public sealed class HeartbeatDelayedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="HeartbeatDelayedEventArgs"/> class.</summary>
    /// <param name="name">The registration's name.</param>
    /// <param name="report">The heartbeat's accounting.</param>
    /// <param name="evidence">What the cause was inferred from.</param>
    public HeartbeatDelayedEventArgs(string name, HeartbeatLatenessReport report, string evidence)
    {
        Name = name;
        Report = report;
        Evidence = evidence;
    }

    /// <summary>Gets the registration's (or monitor's) name, or an empty string.</summary>
    public string Name { get; }

    /// <summary>Gets the heartbeat's accounting.</summary>
    public HeartbeatLatenessReport Report { get; }

    /// <summary>Gets the lateness (start of the send minus due time).</summary>
    public TimeSpan Lateness => Report.Lateness;

    /// <summary>Gets the inferred cause.</summary>
    public HeartbeatDelayCause Cause => Report.Cause;

    /// <summary>Gets a value indicating whether the heartbeat arrived after the peer's idle timeout would have expired.</summary>
    public bool BudgetExceeded => Report.BudgetExceeded;

    /// <summary>Gets what the cause was inferred from, for example "the timer thread took it 1s200ms late while a GC paused the process" or "it waited 45ms behind the other heartbeats of its batch: ...".</summary>
    public string Evidence { get; }
}

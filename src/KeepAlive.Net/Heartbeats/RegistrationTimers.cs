namespace KeepAlive.Net.Heartbeats;

/// <summary>The heap node of a registration's next heartbeat.</summary>
internal sealed class BeatTimer(HeartbeatRegistration owner) : TimerNode
{
    public HeartbeatRegistration Owner { get; } = owner;
}

/// <summary>The heap node of a registration's liveness deadline (last peer activity + timeout).</summary>
internal sealed class LivenessTimer(HeartbeatRegistration owner) : TimerNode
{
    public HeartbeatRegistration Owner { get; } = owner;
}

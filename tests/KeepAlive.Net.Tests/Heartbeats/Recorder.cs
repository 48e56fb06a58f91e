using System.Collections.Concurrent;

namespace KeepAlive.Net.Tests.Heartbeats;

/// <summary>A callback that records every heartbeat it is asked to send.</summary>
internal sealed class Recorder
{
    public ConcurrentQueue<HeartbeatContext> Calls { get; } = new();

    public int Count => Calls.Count;

    public ValueTask Send(HeartbeatContext context)
    {
        Calls.Enqueue(context);
        return ValueTask.CompletedTask;
    }
}

namespace KeepAlive.Net;

/// <summary>Schedules heartbeats on threads it owns.</summary>
public interface IHeartbeatScheduler
{
    /// <summary>Starts sending heartbeats.</summary>
    /// <param name="options">When and how to send; validated with <see cref="HeartbeatOptionsValidator"/>.</param>
    /// <param name="sendHeartbeat">Sends one heartbeat. Return an incomplete task for asynchronous I/O; never block.</param>
    /// <returns>The registration; dispose it to stop.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message names the option, the value, the limit and the fix.</exception>
    /// <exception cref="ObjectDisposedException">The scheduler is disposed, or was disposed while this call ran; nothing was registered.</exception>
    HeartbeatRegistration Register(HeartbeatOptions options, Func<HeartbeatContext, ValueTask> sendHeartbeat);
}

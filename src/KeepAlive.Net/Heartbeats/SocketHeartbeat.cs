using System.Net.Sockets;

namespace KeepAlive.Net;

/// <summary>
/// The built-in heartbeat: sends a fixed payload on a connected <see cref="Socket"/> with
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>, so a send that cannot
/// complete (full send buffer, zero window) never blocks a scheduler thread; it is reported as blocked after
/// <see cref="HeartbeatOptions.BlockedCallbackThreshold"/> and cancelled when the registration is disposed.
/// </summary>
public static class SocketHeartbeat
{
    /// <summary>Creates a callback that sends <paramref name="payload"/> on <paramref name="socket"/>.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="payload">The heartbeat bytes of the application protocol; the memory must stay unchanged while registered.</param>
    /// <returns>The callback for <see cref="IHeartbeatScheduler.Register"/>.</returns>
    public static Func<HeartbeatContext, ValueTask> Create(Socket socket, ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (payload.IsEmpty)
        {
            throw new ArgumentException("The heartbeat payload is empty; a zero-byte send puts nothing on the wire and refreshes no idle timer. Fix: pass the application protocol's heartbeat or ping message.", nameof(payload));
        }

        return context => SendAsync(socket, payload, context.CancellationToken);
    }

    /// <summary>Registers a heartbeat that sends <paramref name="payload"/> on <paramref name="socket"/>.</summary>
    /// <param name="scheduler">The scheduler.</param>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="payload">The heartbeat bytes of the application protocol.</param>
    /// <param name="options">When to send; validated.</param>
    /// <returns>The registration; dispose it before closing the socket.</returns>
    public static HeartbeatRegistration RegisterSocket(this IHeartbeatScheduler scheduler, Socket socket, ReadOnlyMemory<byte> payload, HeartbeatOptions options)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return scheduler.Register(options, Create(socket, payload));
    }

    private static async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (!payload.IsEmpty)
        {
            var sent = await socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            payload = payload[sent..];
        }
    }
}

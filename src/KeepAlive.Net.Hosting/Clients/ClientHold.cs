namespace KeepAlive.Net.Hosting.Clients;

/// <summary>
/// A holder of values a client took once (<see cref="ClientReloadWatch"/>'s <c>heldBy</c>) that the client's disposal
/// releases, where a package sees that disposal (an object of its own that the client disposes): the watcher holds it
/// weakly and forgets it once released or collected, so that a disposed client still referenced is not said to keep values.
/// Also released where a client built over another says 3204 itself (a gRPC channel or a SignalR hub connection over a
/// handler set up with <c>socketsHttpHandler.UseKeepAlive</c>), so that one reload says one warning per client.
/// </summary>
internal sealed class ClientHold
{
    private int _released;

    /// <summary>Gets a value indicating whether the client was disposed.</summary>
    public bool IsReleased => Volatile.Read(ref _released) == 1;

    /// <summary>Releases the values: the client was disposed, or another says what it keeps. Idempotent.</summary>
    public void Release() => Volatile.Write(ref _released, 1);
}

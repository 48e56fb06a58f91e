namespace KeepAlive.Net.Tcp.Backends;

/// <summary>Maps a <see cref="KeepAlivePlan"/> onto one platform's socket options and reads them back.</summary>
internal interface IKeepAliveBackend
{
    /// <summary>Writes the plan to the socket.</summary>
    void Apply(ISocketOptionAccess socket, KeepAlivePlan plan);

    /// <summary>Reads the effective settings; <paramref name="applied"/> fills what the platform cannot read back.</summary>
    KeepAliveSettings Read(ISocketOptionAccess socket, KeepAliveCapabilities capabilities, KeepAlivePlan? applied);
}

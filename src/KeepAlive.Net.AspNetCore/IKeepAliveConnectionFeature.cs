namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Added to a Kestrel connection's features by <c>listenOptions.UseTcpKeepAlive(...)</c>: the profile applied
/// and the keep-alive settings the kernel reports for the accepted socket.
/// </summary>
public interface IKeepAliveConnectionFeature
{
    /// <summary>Gets the name of the profile applied to the connection.</summary>
    string ProfileName { get; }

    /// <summary>Gets the effective keep-alive settings of the connection's socket, read back from the kernel when it was accepted.</summary>
    KeepAliveSettings Settings { get; }
}

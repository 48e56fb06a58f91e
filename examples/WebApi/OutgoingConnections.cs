using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Examples.WebApi;

/// <summary>Where the "payments" client sends requests, and the last connection it opened.</summary>
public sealed class OutgoingConnections
{
    /// <summary>Gets the settings of the last connection the "payments" client opened, read back from the kernel.</summary>
    public static KeepAliveSettings? Last { get; private set; }

    /// <summary>Gets or sets the peer's address (this app's own address).</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Records a new outgoing connection; use as <see cref="KeepAliveHttpClientOptions.ConnectionConfigured"/>.</summary>
    /// <param name="socket">The connection's socket.</param>
    /// <param name="settings">Its settings.</param>
    public static void Record(System.Net.Sockets.Socket socket, KeepAliveSettings settings) => Last = settings;
}

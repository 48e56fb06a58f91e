using System.Net.Sockets;

namespace KeepAlive.Net.Hosting;

/// <summary>How <c>UseTcpKeepAlive</c> sets up an HttpClient's <see cref="System.Net.Http.SocketsHttpHandler"/>.</summary>
public sealed class KeepAliveHttpClientOptions
{
    /// <summary>
    /// Gets or sets how long a pooled connection may be reused before it is closed and a new one is opened, which
    /// resolves DNS again: set it so that connections follow DNS or GSLB traffic shifts.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the handler's own setting is left alone (infinite unless changed).
    /// A few minutes is typical; <see cref="Timeout.InfiniteTimeSpan"/> never recycles.
    /// </value>
    public TimeSpan? PooledConnectionLifetime { get; set; }

    /// <summary>
    /// Gets or sets a callback invoked for every new connection after keep-alive is applied and the socket is connected,
    /// with the settings read back from the kernel; for logging or inspection. It must not block.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<Socket, KeepAliveSettings>? ConnectionConfigured { get; set; }
}

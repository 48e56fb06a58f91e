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
    /// Sets <see cref="PooledConnectionLifetime"/>, when set, on <paramref name="handler"/>; a value the handler would refuse
    /// with its own message (no client, no option) is refused here, naming <paramref name="owner"/>, the value and the fix.
    /// </summary>
    internal void ApplyTo(System.Net.Http.SocketsHttpHandler handler, string owner)
    {
        if (PooledConnectionLifetime is not { } lifetime)
        {
            return;
        }

        if (lifetime < TimeSpan.Zero && lifetime != Timeout.InfiniteTimeSpan)
        {
            throw new InvalidOperationException(
                $"{owner}: KeepAliveHttpClientOptions.PooledConnectionLifetime is {KeepAliveDuration.Format(lifetime)}, which SocketsHttpHandler refuses (a lifetime is zero or more, or infinite). Fix: set it to a positive duration, for example TimeSpan.FromMinutes(5), to Timeout.InfiniteTimeSpan to never replace connections, or leave it unset to keep the handler's own.");
        }

        handler.PooledConnectionLifetime = lifetime;
    }

    /// <summary>
    /// Gets or sets a callback invoked for every new connection after keep-alive is applied and the socket is connected,
    /// with the settings read back from the kernel; for logging or inspection. It must not block.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<Socket, KeepAliveSettings>? ConnectionConfigured { get; set; }
}

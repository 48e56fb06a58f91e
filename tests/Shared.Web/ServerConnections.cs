using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace KeepAlive.Net.Tests.TestSupport;

/// <summary>Outermost connection middleware of a test server: the id of every connection it accepted, and which are still open.</summary>
internal sealed class ServerConnections
{
    private readonly ConcurrentDictionary<string, bool> _open = new();

    /// <summary>Gets the ids of every connection accepted, in no particular order.</summary>
    public ICollection<string> Accepted => _open.Keys;

    /// <summary>Gets the ids of the connections still open.</summary>
    public IReadOnlyList<string> Open => [.. _open.Where(static c => c.Value).Select(static c => c.Key)];

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async context =>
    {
        _open[context.ConnectionId] = true;
        try
        {
            await next(context);
        }
        finally
        {
            _open[context.ConnectionId] = false;
        }
    };
}

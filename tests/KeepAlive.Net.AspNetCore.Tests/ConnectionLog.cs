using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace KeepAlive.Net.AspNetCore.Tests;

/// <summary>Outermost connection middleware of a test server: records when each connection started and ended, and its retirement feature.</summary>
internal sealed class ConnectionLog
{
    public ConcurrentDictionary<string, Entry> Connections { get; } = new();

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async context =>
    {
        var entry = new Entry { Started = Stopwatch.GetTimestamp() };
        Connections[context.ConnectionId] = entry;
        try
        {
            await next(context);
        }
        finally
        {
            entry.Retirement = context.Features.Get<IKeepAliveRetirementFeature>();
            entry.Ended = Stopwatch.GetTimestamp();
        }
    };

    internal sealed class Entry
    {
        public long Started { get; init; }

        public long? Ended { get; set; }

        public IKeepAliveRetirementFeature? Retirement { get; set; }

        public TimeSpan? Lifetime => Ended is { } end ? Stopwatch.GetElapsedTime(Started, end) : null;
    }
}

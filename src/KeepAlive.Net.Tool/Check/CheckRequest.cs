using KeepAlive.Net.Hosting;

namespace KeepAlive.Net.Tool.Check;

/// <summary>What <c>check</c> was asked to do.</summary>
internal sealed record CheckRequest(
    HostAndPort Target,
    (string Name, KeepAliveProfileOptions Options)? Profile,
    string? Heartbeat,
    TimeSpan Every,
    TimeSpan Hold,
    FileInfo? Capture);

using KeepAlive.Net.Tool.Cli;

namespace KeepAlive.Net.Tool.Check;

/// <summary>What <c>check</c> was asked to do.</summary>
internal sealed record CheckRequest(
    HostAndPort Target,
    ResolvedProfile? Profile,
    string? Heartbeat,
    TimeSpan Every,
    TimeSpan Hold,
    FileInfo? Capture);

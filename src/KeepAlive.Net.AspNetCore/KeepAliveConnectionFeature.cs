namespace KeepAlive.Net.AspNetCore;

/// <summary>The connection feature set by <see cref="KeepAliveConnectionMiddleware"/>.</summary>
internal sealed record KeepAliveConnectionFeature(string ProfileName, KeepAliveSettings Settings) : IKeepAliveConnectionFeature;

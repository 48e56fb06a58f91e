using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Diagnostics;

/// <summary>Every log message of KeepAlive.Net.Hosting, with the ids of <see cref="KeepAliveEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.ProfileReloaded, Level = LogLevel.Information,
        Message = "KeepAlive profile '{Profile}' was reloaded: new connections use the new values; connections already open keep the values they were configured with.")]
    public static partial void ProfileReloaded(ILogger logger, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.ProfileReloadRejected, Level = LogLevel.Error,
        Message = "KeepAlive profile '{Profile}' was NOT reloaded: the new configuration is invalid, so new connections keep the last valid values. {Failures}")]
    public static partial void ProfileReloadRejected(ILogger logger, string profile, string failures);

    [LoggerMessage(EventId = KeepAliveEventIds.HttpConnectionConfigured, Level = LogLevel.Debug,
        Message = "HTTP connection to {Host}:{Port} configured with KeepAlive profile '{Profile}': {Settings}")]
    public static partial void HttpConnectionConfigured(ILogger logger, string host, int port, string profile, KeepAliveSettings settings);

    [LoggerMessage(EventId = KeepAliveEventIds.ProfileBudget, Level = LogLevel.Information,
        Message = "KeepAlive profile '{Profile}': {Budget}")]
    public static partial void ProfileBudget(ILogger logger, string profile, string budget);
}

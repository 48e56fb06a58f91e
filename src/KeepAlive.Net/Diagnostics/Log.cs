using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Diagnostics;

/// <summary>Every log message of the core library, with the ids of <see cref="KeepAliveEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveConfigured, Level = LogLevel.Debug,
        Message = "TCP keep-alive configured: {Settings}")]
    public static partial void KeepAliveConfigured(ILogger logger, KeepAliveSettings settings);

    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveOptionRounded, Level = LogLevel.Warning,
        Message = "TCP keep-alive {Option} was rounded on {Platform}: requested {Requested}, effective {Effective}. {Reason}")]
    public static partial void KeepAliveOptionRounded(ILogger logger, KeepAliveOption option, KeepAlivePlatform platform, string requested, string effective, string? reason);

    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveOptionUnsupported, Level = LogLevel.Warning,
        Message = "TCP keep-alive {Option} is not supported on {Platform} and was not applied (requested {Requested}). {Reason}")]
    public static partial void KeepAliveOptionUnsupported(ILogger logger, KeepAliveOption option, KeepAlivePlatform platform, string requested, string? reason);

    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveOptionFixedByPlatform, Level = LogLevel.Warning,
        Message = "TCP keep-alive {Option} is fixed at {Effective} on {Platform}; requested {Requested}. {Reason}")]
    public static partial void KeepAliveOptionFixedByPlatform(ILogger logger, KeepAliveOption option, KeepAlivePlatform platform, string requested, string effective, string? reason);

    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveOptionNotAsWritten, Level = LogLevel.Warning,
        Message = "TCP keep-alive {Option} on {Platform} is {Status}: effective {Effective}. {Reason}")]
    public static partial void KeepAliveOptionNotAsWritten(ILogger logger, KeepAliveOption option, KeepAlivePlatform platform, KeepAliveOptionStatus status, string effective, string? reason);
}

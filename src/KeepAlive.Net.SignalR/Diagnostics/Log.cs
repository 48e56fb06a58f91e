using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.SignalR.Diagnostics;

/// <summary>Every log message of KeepAlive.Net.SignalR, with the ids of <see cref="KeepAliveEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.SignalRProfileApplied, Level = LogLevel.Information,
        Message = "Hub connection to {Url} uses KeepAlive profile '{Profile}': {Settings}; {Layers}.")]
    public static partial void ProfileApplied(ILogger logger, Uri? url, string profile, string settings, string layers);

    [LoggerMessage(EventId = KeepAliveEventIds.SignalRWebSocketTcpNotApplicable, Level = LogLevel.Warning,
        Message = "Hub connection with KeepAlive profile '{Profile}': the Tcp section does not reach {Sockets}: {Reason}. They keep only the keep-alive that runs on the thread pool (SignalR's keep-alive messages, the WebSocket's own frames).")]
    public static partial void TcpNotApplicable(ILogger logger, string profile, string sockets, string reason);

    [LoggerMessage(EventId = KeepAliveEventIds.SignalROptionOverridden, Level = LogLevel.Warning,
        Message = "Hub connection: {Option} was set to {HandSet} by hand, but KeepAlive profile '{Profile}' sets {FromProfile} ({ProfileKey}); the profile's value is used. Fix: remove the hand-set value, or set {KeepYoursKey} to {HandSet} in the profile to keep it.")]
    public static partial void OptionOverridden(ILogger logger, string option, string handSet, string profile, string fromProfile, string profileKey, string keepYoursKey);

    [LoggerMessage(EventId = KeepAliveEventIds.SignalRValueSetAfterBuild, Level = LogLevel.Warning,
        Message = "Hub connection to {Url} starts with KeepAliveInterval {KeepAliveInterval} and ServerTimeout {ServerTimeout}, set on the HubConnection after Build(), past the profile, which Build() would have refused: {Reason}")]
    public static partial void SetAfterBuild(ILogger logger, Uri? url, string keepAliveInterval, string serverTimeout, string reason);
}

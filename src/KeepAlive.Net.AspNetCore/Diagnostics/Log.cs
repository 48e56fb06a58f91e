using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore.Diagnostics;

/// <summary>Every log message of KeepAlive.Net.AspNetCore, with the ids of <see cref="KeepAliveEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.KestrelConnectionKeepAliveFailed, Level = LogLevel.Warning,
        Message = "Connection {ConnectionId}: KeepAlive profile '{Profile}' could not be applied; the connection continues with the kernel's keep-alive settings.")]
    public static partial void KestrelConnectionKeepAliveFailed(ILogger logger, Exception exception, string connectionId, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelConnectionConfigured, Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} from {RemoteEndPoint} configured with KeepAlive profile '{Profile}': {Settings}")]
    public static partial void KestrelConnectionConfigured(ILogger logger, string connectionId, System.Net.EndPoint? remoteEndPoint, string profile, KeepAliveSettings settings);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelConnectionWithoutSocket, Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} has no TCP socket (named pipe, Unix-domain socket or in-memory transport): the Tcp section of KeepAlive profile '{Profile}' was not applied.")]
    public static partial void KestrelConnectionWithoutSocket(ILogger logger, string connectionId, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelConnectionRetiring, Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} reached {Reason} (KeepAlive profile '{Profile}', {Requests}): closing it gracefully (HTTP/1.1 Connection: close, HTTP/2 GOAWAY).")]
    public static partial void ConnectionRetiring(ILogger logger, string connectionId, string profile, string reason, string requests);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelConnectionGracePeriodExpired, Level = LogLevel.Warning,
        Message = "Connection {ConnectionId} (KeepAlive profile '{Profile}') was still open {GracePeriod} after {GraceStart}: aborting it.")]
    public static partial void ConnectionGracePeriodExpired(ILogger logger, string connectionId, string profile, string gracePeriod, string graceStart);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelEndpointHttp3Only, Level = LogLevel.Warning,
        Message = "Endpoint {EndPoint} serves HTTP/3 only (Protocols = Http3), so {Call}" + Calls.ProfileInTemplate + " does nothing there: QUIC runs over UDP, with no TCP socket for the profile's Tcp section, and Kestrel runs no connection middleware for QUIC connections, so none is retired by Http:MaxConnectionAge or Http:MaxRequestsPerConnection. Fix: serve Http1AndHttp2AndHttp3 so that the TCP connections get the profile, or remove the call and bound QUIC connections with QuicTransportOptions.IdleTimeout.")]
    public static partial void KestrelEndpointHttp3Only(ILogger logger, string endPoint, string call, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.HubKeepAliveApplied, Level = LogLevel.Information,
        Message = "{Hubs} KeepAlive profile '{Profile}': {Settings} (the hub takes KeepAliveInterval and ClientTimeoutInterval; ServerTimeout is the client's).")]
    public static partial void HubKeepAliveApplied(ILogger logger, string hubs, string profile, string settings);

    [LoggerMessage(EventId = KeepAliveEventIds.ServerReloadNotApplied, Level = LogLevel.Warning,
        Message = "{What} took these values from KeepAlive profile '{Profile}' once, when it was set up, so the reload just accepted does not reach them: {Changes}. Fix: {Fix}.")]
    public static partial void ServerReloadNotApplied(ILogger logger, string what, string profile, string changes, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.ServerWideSettingOverridden, Level = LogLevel.Warning,
        Message = "{What} is {Actual}, not the {Value} KeepAlive profile '{Profile}' sets ({Setting}): other code changed it after " + Calls.UseKeepAlive + Calls.ProfileInTemplate + ", so the server does not run with the profile's validated value (the start-up line 3002 reports the profile's). Fix: remove the other assignment, or set {Setting} in the profile instead.")]
    public static partial void ServerWideSettingOverridden(ILogger logger, string what, string actual, string value, string profile, string setting);

    [LoggerMessage(EventId = KeepAliveEventIds.ServerWideSettingReplaced, Level = LogLevel.Warning,
        Message = "{What} was {Before}, set by other code; KeepAlive profile '{Profile}' replaces it with {Value} ({Setting}) on " + Calls.UseKeepAlive + Calls.ProfileInTemplate + ", as it is server-wide. Fix: remove the other assignment, or set {Setting} to the value you want in the profile.")]
    public static partial void ServerWideSettingReplaced(ILogger logger, string what, string before, string value, string profile, string setting);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelKeepAliveTimeoutNotLongerThanPeer, Level = LogLevel.Warning,
        Message = "KeepAlive profile '{Profile}' on endpoint {EndPoint}: {Rule}")]
    public static partial void KestrelKeepAliveTimeoutNotLongerThanPeer(ILogger logger, string profile, string endPoint, string rule);

    [LoggerMessage(EventId = KeepAliveEventIds.KestrelEndpointWithoutHttp2ForPings, Level = LogLevel.Warning,
        Message = "Endpoint {EndPoint} serves no HTTP/2 (Protocols = {Protocols}), so the HTTP/2 PING settings of KeepAlive profile '{Profile}' ({Settings}), applied with " + Calls.UseKeepAlive + Calls.ProfileInTemplate + ", do nothing on its connections: Kestrel sends PINGs on HTTP/2 connections only. Fix: serve Http1AndHttp2 (or Http2) on this endpoint, or remove {Settings} from the profile.")]
    public static partial void KestrelEndpointWithoutHttp2ForPings(ILogger logger, string endPoint, string protocols, string profile, string settings);
}

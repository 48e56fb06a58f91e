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

    [LoggerMessage(EventId = KeepAliveEventIds.HealthReloadNotApplied, Level = LogLevel.Warning,
        Message = "The keep-alive health check read its thresholds from {Path} once, at start-up, so the change just saved does not reach it: {Changes}. Fix: restart the service to apply the section's values.")]
    public static partial void HealthReloadNotApplied(ILogger logger, string path, string changes);

    [LoggerMessage(EventId = KeepAliveEventIds.KeepAliveSectionWithoutProfiles, Level = LogLevel.Warning,
        Message = "{Path}: {Finding}, or remove the call if every profile is configured in code; see docs/CONFIGURATION.md.")]
    public static partial void KeepAliveSectionWithoutProfiles(ILogger logger, string path, string finding);

    [LoggerMessage(EventId = KeepAliveEventIds.ProfileAddedAfterStartUp, Level = LogLevel.Warning,
        Message = "KeepAlive profile '{Profile}' {Finding}. Fix: {Fix}.")]
    public static partial void ProfileAddedAfterStartUp(ILogger logger, string profile, string finding, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.UnknownKeyAddedAfterStartUp, Level = LogLevel.Warning,
        Message = "{Path}: {Finding} It was saved after start-up, and a reload cannot stop the host: nothing reads it and nothing in force changes, but the next start-up refuses it and the host stops. Fix: {Fix}; see docs/CONFIGURATION.md.")]
    public static partial void UnknownKeyAddedAfterStartUp(ILogger logger, string path, string finding, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.HealthSectionAddedAfterStartUp, Level = LogLevel.Warning,
        Message = "{Path}: holds the health check's thresholds, saved after start-up, but {Unread}, and a reload cannot stop the host: nothing reads them and nothing in force changes, but the next start-up refuses them and the host stops. Fix: to apply them, {Fix} and restart the service; otherwise remove {Path}; see docs/HEALTH.md.")]
    public static partial void HealthSectionAddedAfterStartUp(ILogger logger, string path, string unread, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.HttpConnectionConfigured, Level = LogLevel.Debug,
        Message = "HTTP connection to {Host}:{Port} configured with KeepAlive profile '{Profile}': {Settings}")]
    public static partial void HttpConnectionConfigured(ILogger logger, string host, int port, string profile, KeepAliveSettings settings);

    [LoggerMessage(EventId = KeepAliveEventIds.ProfileBudget, Level = LogLevel.Information,
        Message = "KeepAlive profile '{Profile}': {Budget}")]
    public static partial void ProfileBudget(ILogger logger, string profile, string budget);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientConnectionConfigured, Level = LogLevel.Debug,
        Message = "{Client} connection {Connection} configured with KeepAlive profile '{Profile}': {Settings}")]
    public static partial void ClientConnectionConfigured(ILogger logger, string client, string connection, string profile, KeepAliveSettings settings);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientProfileApplied, Level = LogLevel.Information,
        Message = "{Client} uses KeepAlive profile '{Profile}': {Applied}")]
    public static partial void ClientProfileApplied(ILogger logger, string client, string profile, string applied);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientOptionOverridden, Level = LogLevel.Warning,
        Message = "{Client}: {Setting} was set by hand to {HandSet}, but KeepAlive profile '{Profile}' sets {ProfileKey}, so the profile's {ProfileValue} wins. Fix: remove the hand-set {Setting}, or {KeepYours} to keep your value.")]
    public static partial void ClientOptionOverridden(ILogger logger, string client, string setting, string handSet, string profile, string profileKey, string profileValue, string keepYours);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientHeartbeatSetAfterUseKeepAliveRefused, Level = LogLevel.Warning,
        Message = "{Client}: {Setting} was set by hand to {HandSet}, but KeepAlive profile '{Profile}' sets {ProfileKey}, and {Client} keeps the options it was given, so the {Left} UseKeepAlive left cannot be put back: the connection is refused. Fix: {Fix}, or set it before UseKeepAlive (the profile then wins, or refuses it, when UseKeepAlive is called).")]
    public static partial void ClientHeartbeatSetAfterUseKeepAliveRefused(ILogger logger, string client, string setting, string handSet, string profile, string profileKey, string left, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientConnectionWithoutTcp, Level = LogLevel.Debug,
        Message = "{Client} connection {Connection} is not TCP (a Unix domain socket), so KeepAlive profile '{Profile}' has no Tcp section to apply to it")]
    public static partial void ClientConnectionWithoutTcp(ILogger logger, string client, string connection, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientConnectionTcpDisabled, Level = LogLevel.Debug,
        Message = "{Client} connection {Connection} is left as the client opened it, its own keep-alive included: KeepAlive profile '{Profile}' sets Tcp:Enabled false")]
    public static partial void ClientConnectionTcpDisabled(ILogger logger, string client, string connection, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientSocketHookReplaced, Level = LogLevel.Warning,
        Message = "{Client} with KeepAlive profile '{Profile}': {Setting} was set after UseKeepAlive, to {Replacement}, which does not call the one UseKeepAlive installed, so the client opens its sockets without the profile's Tcp section (no keep-alive from the profile on them; said once). Fix: set {Setting} before calling UseKeepAlive (yours is kept and the profile is applied to the sockets it creates), or call UseKeepAlive again after setting it.")]
    public static partial void ClientSocketHookReplaced(ILogger logger, string client, string profile, string setting, string replacement);

    [LoggerMessage(EventId = KeepAliveEventIds.IdlePooledConnectionUnkept, Level = LogLevel.Warning,
        Message = "{Client}: {Unkept}")]
    public static partial void IdlePooledConnectionUnkept(ILogger logger, string client, string unkept);

    [LoggerMessage(EventId = KeepAliveEventIds.HttpClientTcpNotApplicable, Level = LogLevel.Warning,
        Message = "HttpClient '{Client}': the Tcp section of KeepAlive profile '{Profile}' does not apply: another component installed its own SocketsHttpHandler.ConnectCallback after the client was built and opens its sockets (gRPC's channel does, for client-side load balancing and connectivity tracking). The profile's Http section (HTTP/2 pings, pool timers) applies. To have the Tcp section on a gRPC channel with an http or https address, give the channel the profile's handler: ConfigureChannel((services, options) => options.UseKeepAlive(services.GetRequiredService<IKeepAliveProfiles>(), \"{Profile}\")) from KeepAlive.Net.Grpc (gRPC's connectivity tracking, GrpcChannel.State, is then off).")]
    public static partial void HttpClientTcpNotApplicable(ILogger logger, string client, string profile);

    [LoggerMessage(EventId = KeepAliveEventIds.PingTimeoutMayMisfire, Level = LogLevel.Warning,
        Message = "KeepAlive profile '{Profile}': {Warning}")]
    public static partial void PingTimeoutMayMisfire(ILogger logger, string profile, string warning);

    [LoggerMessage(EventId = KeepAliveEventIds.ClientReloadNotApplied, Level = LogLevel.Warning,
        Message = "{Client} took these values from KeepAlive profile '{Profile}' once, when it was set up, so {Reload} does not reach them: {Changes}. Fix: {Fix}.")]
    public static partial void ClientReloadNotApplied(ILogger logger, string client, string profile, string reload, string changes, string fix);
}

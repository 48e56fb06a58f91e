using System.Net;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Grpc.Diagnostics;

/// <summary>Every log message of KeepAlive.Net.Grpc, with the ids of <see cref="KeepAliveEventIds"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = KeepAliveEventIds.GrpcChannelTcpNotApplicable, Level = LogLevel.Warning,
        Message = "gRPC channel with KeepAlive profile '{Profile}': the Tcp section does not apply: the channel balances on the client side ({Reason}), and gRPC's load balancer opens its sockets itself, so the handler's ConnectCallback was left to gRPC. The profile's Http section (HTTP/2 pings, pool timers, connect timeout) applies; to protect idle connections with the kernel's keep-alive, use an http or https address.{IdleConnection}")]
    public static partial void TcpNotApplicable(ILogger logger, string profile, string reason, string idleConnection);

    [LoggerMessage(EventId = KeepAliveEventIds.GrpcConnectivityTrackingOff, Level = LogLevel.Information,
        Message = "gRPC channel with KeepAlive profile '{Profile}' connected to {RemoteEndPoint} with the profile's Tcp section, through the handler's ConnectCallback: gRPC's connectivity tracking (GrpcChannel.State, WaitForStateChangedAsync) is off on this channel, because gRPC tracks only the sockets it opens itself.")]
    public static partial void ConnectivityTrackingOff(ILogger logger, string profile, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = KeepAliveEventIds.GrpcChannelHandlerReplaced, Level = LogLevel.Warning,
        Message = "gRPC channel with KeepAlive profile '{Profile}': GrpcChannelOptions.{Setting} was set after UseKeepAlive, to {Replacement}, so the channel {Sends} through a handler that does not carry the profile, and then neither its Tcp section (keep-alive on each socket) nor its Http section (HTTP/2 pings, pool timers, connect timeout) applies. Fix: {Fix}.")]
    public static partial void HandlerReplaced(ILogger logger, string profile, string setting, string replacement, string sends, string fix);

    [LoggerMessage(EventId = KeepAliveEventIds.GrpcChannelBuiltUnseen, Level = LogLevel.Warning,
        Message = "gRPC channel with KeepAlive profile '{Profile}' connected to {RemoteEndPoint} with the profile's Tcp section, but no channel over that handler was built with the ServiceProvider UseKeepAlive set on the options: GrpcChannelOptions.ServiceProvider was set after UseKeepAlive, replacing it (or the handler sends for something else than a channel built from those options). Without it UseKeepAlive does not see gRPC build a channel: from those options a dns:/// (or any resolver) address or a load-balancing config fails to build (gRPC's InvalidOperationException: 'The underlying HTTP transport must be a SocketsHttpHandler with no SocketsHttpHandler.ConnectCallback configured'), an HttpHandler or HttpClient set after UseKeepAlive goes unsaid (3302), and a further channel built from them shares this one's handler, so that, when UseKeepAlive created it, the further channel's calls fail (ObjectDisposedException) once this one is disposed. Fix: set GrpcChannelOptions.ServiceProvider before calling UseKeepAlive.")]
    public static partial void BuiltUnseen(ILogger logger, string profile, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = KeepAliveEventIds.GrpcChannelSharesADisposedHandler, Level = LogLevel.Warning,
        Message = "gRPC channel with KeepAlive profile '{Profile}': another channel is being built from the same options, whose GrpcChannelOptions.{Setting} was set after UseKeepAlive, to {Shared}, with DisposeHttpClient true (UseKeepAlive set it for the SocketsHttpHandler it created, as gRPC does for a handler of its own). UseKeepAlive cannot give this channel a handler of its own behind it, so the channels share it, and the first of them disposed disposes it: this channel's calls then fail (ObjectDisposedException). Fix: build each channel from GrpcChannelOptions of its own, each with UseKeepAlive; or, to share one handler between channels, set a SocketsHttpHandler of yours (wrapped as you like) as HttpHandler before UseKeepAlive, which gRPC leaves undisposed.")]
    public static partial void SharesADisposedHandler(ILogger logger, string profile, string setting, string shared);
}

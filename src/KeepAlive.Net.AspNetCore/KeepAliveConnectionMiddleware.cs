using System.Net.Sockets;
using KeepAlive.Net.AspNetCore.Diagnostics;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.AspNetCore;

/// <summary>
/// Kestrel connection middleware: applies a profile's current keep-alive values to every accepted TCP socket
/// (found through <see cref="IConnectionSocketFeature"/>) before the connection is handed on. On macOS accepted
/// sockets do not reliably inherit a listener's settings (dotnet/runtime#46728), so each one is configured.
/// </summary>
internal sealed class KeepAliveConnectionMiddleware(IKeepAliveProfiles profiles, string profileName, ILogger logger)
{
    /// <summary>Gets the profile applied.</summary>
    public string ProfileName => profileName;

    public Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || !TcpSockets.IsTcp(socket))
        {
            Log.KestrelConnectionWithoutSocket(logger, context.ConnectionId, profileName);
            return next(context);
        }

        try
        {
            var settings = profiles.Configure(socket, profileName);
            context.Features.Set<IKeepAliveConnectionFeature>(new KeepAliveConnectionFeature(profileName, settings));
            Log.KestrelConnectionConfigured(logger, context.ConnectionId, context.RemoteEndPoint, profileName, settings);
        }
        catch (SocketException ex)
        {
            // The peer may already have gone; the connection goes on without the profile rather than failing here.
            Log.KestrelConnectionKeepAliveFailed(logger, ex, context.ConnectionId, profileName);
        }
        catch (ObjectDisposedException)
        {
            // Aborted before this middleware ran (Kestrel disposes an aborted connection's socket): it is gone, with
            // nothing left to keep alive; Kestrel ends it as it ends any aborted connection.
        }

        return next(context);
    }
}

using System.Net.Sockets;
using KeepAlive.Net.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KeepAlive.Net.Hosting.Http;

/// <summary>
/// The <see cref="System.Net.Http.SocketsHttpHandler.ConnectCallback"/> that opens each new HTTP connection's socket,
/// applies the profile's current keep-alive values before connecting (so a rejected option can never mark a
/// connected socket as broken), then connects.
/// </summary>
internal sealed class KeepAliveConnectCallback(IKeepAliveProfiles profiles, string profileName, KeepAliveHttpClientOptions options, ILogger logger)
{
    public async ValueTask<Stream> ConnectAsync(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var settings = profiles.Configure(socket, profileName);
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            Log.HttpConnectionConfigured(logger, context.DnsEndPoint.Host, context.DnsEndPoint.Port, profileName, settings);
            options.ConnectionConfigured?.Invoke(socket, settings);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

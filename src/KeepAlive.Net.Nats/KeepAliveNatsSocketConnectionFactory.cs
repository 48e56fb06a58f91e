using System.Net.Sockets;
using KeepAlive.Net.Hosting;
using NATS.Client.Core;

namespace KeepAlive.Net.Nats;

/// <summary>
/// Opens NATS connections as NATS.Net's own TCP connection does (a dual-mode socket where IPv6 exists, no Nagle), with the
/// profile's <c>Tcp</c> section applied once connected (before NATS.Net sends a byte). NATS.Net's own TCP connection type is internal, hence this one.
/// </summary>
internal sealed class KeepAliveNatsSocketConnectionFactory(KeepAliveClientSettings settings) : INatsSocketConnectionFactory
{
    /// <summary>Gets or sets how a socket is created (tests create it inside a network namespace).</summary>
    internal Func<Socket> CreateSocket { get; set; } = CreateDefaultSocket;

    /// <summary>Gets the profile this factory applies (a second UseKeepAlive with the same one replaces it, another is refused).</summary>
    public string ProfileName => settings.ProfileName;

    /// <summary>Gets or sets what the UseKeepAlive that installed this factory applied to the options carrying it (and every copy of them).</summary>
    public NatsProfileTaken? Taken { get; set; }

    public static bool IsWebSocket(string url) =>
        url.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("wss://", StringComparison.OrdinalIgnoreCase);

    public async ValueTask<INatsSocketConnection> ConnectAsync(Uri uri, NatsOpts opts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (IsWebSocket(uri.OriginalString))
        {
            throw new NotSupportedException(
                $"KeepAlive profile '{settings.ProfileName}' was asked to open the WebSocket server {uri}: NATS.Net's WebSocket connection is internal, so UseKeepAlive handles only nats:// and tls:// servers. Fix: list only TCP servers in NatsOpts.Url, or do not call UseKeepAlive for WebSocket servers.");
        }

        var socket = CreateSocket();
        try
        {
            // Configured once connected: an option .NET does not track (TCP_USER_TIMEOUT) set before ConnectAsync(host, port)
            // stops it from trying the name's next address when the first refuses.
            await socket.ConnectAsync(uri.Host, uri.Port, cancellationToken).ConfigureAwait(false);
            settings.ConfigureSocket(socket, $"{uri.Host}:{uri.Port}");
            return new KeepAliveNatsSocketConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket CreateDefaultSocket()
    {
        var socket = new Socket(Socket.OSSupportsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (Socket.OSSupportsIPv6)
        {
            socket.DualMode = true;
        }

        socket.NoDelay = true;
        return socket;
    }
}

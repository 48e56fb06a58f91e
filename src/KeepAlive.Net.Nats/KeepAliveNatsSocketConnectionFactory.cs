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

    /// <summary>The last <see cref="NatsOpts.PingInterval"/> set after <c>UseKeepAlive</c> that was taken as yours (said once), as ticks; -1 for none.</summary>
    private long _yoursAfter = -1;

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

        TakePingIntervalSetAfterUseKeepAlive(opts);
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

    /// <summary>
    /// A <see cref="NatsOpts.PingInterval"/> set after <c>UseKeepAlive</c> (on a <c>with</c> copy of the options it returned,
    /// which carries this factory), judged by the rules that judge one set before it: within them it is yours, said once
    /// (event 3201); outside them warning 3207 says so with the bound, and, since NATS.Net keeps the options it was given
    /// (a record the connection holds), the value cannot go back to the one <c>UseKeepAlive</c> left: the connection is refused.
    /// </summary>
    /// <param name="opts">The options of the connection being made, as NATS.Net passes them.</param>
    /// <exception cref="InvalidOperationException">The PingInterval misses the profile's <c>Heartbeat:PeerIdleTimeout</c> or <c>Heartbeat:Timeout</c>; the message names both values and the fix.</exception>
    private void TakePingIntervalSetAfterUseKeepAlive(NatsOpts opts)
    {
        if (Taken is not { } taken || opts.PingInterval == taken.PingIntervalLeft || opts.PingInterval.Ticks == Interlocked.Read(ref _yoursAfter))
        {
            return;
        }

        if (settings.TakeYourHeartbeatSetAfterUseKeepAlive(opts.PingInterval, taken.PingIntervalLeft, canPutBack: false))
        {
            Interlocked.Exchange(ref _yoursAfter, opts.PingInterval.Ticks);
            return;
        }

        throw new InvalidOperationException(
            $"KeepAlive profile '{settings.ProfileName}': these NatsOpts run {NatsProfileTaken.PingInterval} {KeepAliveDuration.Format(opts.PingInterval)}, set after UseKeepAlive (a `with` copy of the options it returned), in place of the {KeepAliveDuration.Format(taken.PingIntervalLeft)} it left, which the profile's heartbeat cannot be kept with (warning 3207 names the setting and the bound). NATS.Net keeps the options it was given, so the value cannot be put back here: the connection is refused. Fix: set PingInterval before UseKeepAlive (the profile then wins, or refuses it, when it is made), or within the bound warning 3207 gives.");
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

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting;
using RESPite.Transports;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace KeepAlive.Net.StackExchangeRedis;

/// <summary>
/// Applies a profile's <c>Tcp</c> section to each socket once it has connected (<see cref="Tunnel.BeforeAuthenticateAsync"/>,
/// before StackExchange.Redis sends a byte), wrapping a tunnel of the user's (an HTTP proxy) that still decides the rest.
/// Not before the connect: an option .NET does not track (TCP_USER_TIMEOUT) set on a socket connecting to a host name stops
/// .NET from trying the name's next address when the first refuses.
/// </summary>
internal sealed class KeepAliveRedisTunnel(KeepAliveClientSettings settings, Tunnel? yours) : Tunnel
{
    /// <summary>The sockets a keep-alive tunnel has configured, so that one reached twice on the way in (ours, then yours wrapping an earlier one of ours) configures it once.</summary>
    private static readonly ConditionalWeakTable<Socket, KeepAliveRedisTunnel> Configured = [];

    /// <summary>Options whose <see cref="ConfigurationOptions.HeartbeatInterval"/> <c>UseKeepAlive</c> could not read yet, until a connection made with them has end points.</summary>
    private PingCheck? _pingCheck;

    /// <summary>The options <c>UseKeepAlive</c> installed this tunnel on and the <see cref="ConfigurationOptions.KeepAlive"/> it left, for one set after it.</summary>
    private PingCheck? _left;

    /// <summary>The last <see cref="ConfigurationOptions.KeepAlive"/> set after <c>UseKeepAlive</c> that was taken as yours (0: none).</summary>
    private int _yoursAfter;

    /// <summary>Gets the user's own tunnel that this one wraps, or <see langword="null"/>.</summary>
    public Tunnel? Yours => yours;

    /// <summary>Gets the profile this tunnel applies.</summary>
    public string ProfileName => settings.ProfileName;

    /// <summary>
    /// Finds the keep-alive tunnel a tunnel is, or wraps as StackExchange.Redis's <c>LoggingTunnel</c> does
    /// (<c>LoggingTunnel.LogToDirectory</c> after <c>UseKeepAlive</c>): it forwards <see cref="GetSocketConnectEndpointAsync"/>,
    /// so it hands ours a marker end point, which ours answers with itself. A tunnel of yours is not asked (it would see the marker).
    /// </summary>
    /// <param name="tunnel">The options' tunnel.</param>
    /// <returns>The keep-alive tunnel, or <see langword="null"/>.</returns>
    public static KeepAliveRedisTunnel? Within(Tunnel? tunnel)
    {
#pragma warning disable CS0618 // LoggingTunnel is experimental in StackExchange.Redis
        if (tunnel is not LoggingTunnel logging)
#pragma warning restore CS0618
        {
            return tunnel as KeepAliveRedisTunnel;
        }

        var found = logging.GetSocketConnectEndpointAsync(Probe.Marker, CancellationToken.None);
        return found.IsCompletedSuccessfully && found.Result is Probe { Tunnel: { } ours } ? ours : null;
    }

    /// <summary>
    /// Has <see cref="KeepAliveRedisExtensions.KeepPingOnTime"/> run on <paramref name="options"/> (again, when they had end points
    /// when <c>UseKeepAlive</c> ran: a value set after it) at the first connection made through this tunnel once they have them: StackExchange.Redis
    /// asks the tunnel where to connect before it reads <see cref="ConfigurationOptions.HeartbeatInterval"/> (to start its
    /// heartbeat once connected), so a value put back then is the one its heartbeat runs at.
    /// </summary>
    /// <param name="options">The options <c>UseKeepAlive</c> installed this tunnel on.</param>
    /// <param name="seconds">The PING interval it set from <c>Heartbeat:Interval</c>.</param>
    public void KeepPingOnTimeAtFirstConnection(ConfigurationOptions options, int seconds) => _pingCheck = new(options, seconds);

    /// <summary>
    /// Has each connection made through this tunnel check the <see cref="ConfigurationOptions.KeepAlive"/> of
    /// <paramref name="options"/> against the one <c>UseKeepAlive</c> left there: one set after it, which the multiplexer runs,
    /// goes back to that one with warning 3202 when the profile's <c>Heartbeat:PeerIdleTimeout</c> cannot be kept with it, else is taken as yours and said once.
    /// </summary>
    /// <param name="options">The options <c>UseKeepAlive</c> installed this tunnel on.</param>
    /// <param name="seconds">The KeepAlive it left: the profile's, or yours.</param>
    public void KeepAliveLeft(ConfigurationOptions options, int seconds) => _left = new(options, seconds);

    public override ValueTask<EndPoint?> GetSocketConnectEndpointAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(endpoint, Probe.Marker))
        {
            return new(new Probe(this));
        }

        Connecting();
        var target = yours is null ? base.GetSocketConnectEndpointAsync(endpoint, cancellationToken) : yours.GetSocketConnectEndpointAsync(endpoint, cancellationToken);
        return target.IsCompletedSuccessfully ? new(Asked(endpoint, target.Result)) : AskedAsync(endpoint, target);
    }

    public override ValueTask BeforeSocketConnectAsync(EndPoint endPoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken) =>
        yours is null ? base.BeforeSocketConnectAsync(endPoint, connectionType, socket, cancellationToken) : yours.BeforeSocketConnectAsync(endPoint, connectionType, socket, cancellationToken);

#pragma warning disable SER009 // experimental in StackExchange.Redis: forwarded so that a tunnel of yours supplying its own transport keeps doing so
    public override ValueTask<DuplexTransport?> ConnectTransportAsync(EndPoint endpoint, ConnectionType connectionType, TlsOptions tls, CancellationToken cancellationToken)
    {
        Connecting();
        return yours is null ? base.ConnectTransportAsync(endpoint, connectionType, tls, cancellationToken) : yours.ConnectTransportAsync(endpoint, connectionType, tls, cancellationToken);
    }
#pragma warning restore SER009

    public override ValueTask<Stream?> BeforeAuthenticateAsync(EndPoint endpoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken)
    {
        // Once per socket: a tunnel set on top of ours (LoggingTunnel.LogToDirectory) and wrapped by a later UseKeepAlive
        // reaches ours again through that tunnel.
        if (socket is not null && Configured.TryAdd(socket, this))
        {
            settings.ConfigureSocket(socket, string.Create(CultureInfo.InvariantCulture, $"{endpoint} ({connectionType})"));
        }

        return yours is null ? base.BeforeAuthenticateAsync(endpoint, connectionType, socket, cancellationToken) : yours.BeforeAuthenticateAsync(endpoint, connectionType, socket, cancellationToken);
    }

    /// <summary>
    /// A connection is starting (StackExchange.Redis asks for a transport first, then, without one, where to connect a socket):
    /// runs the check of <see cref="KeepPingOnTimeAtFirstConnection"/> once, and that of <see cref="KeepAliveLeft"/>. Not while the options still have no end points
    /// (a copy of them is connecting): reading <see cref="ConfigurationOptions.HeartbeatInterval"/> would fix their Defaults.
    /// </summary>
    private void Connecting()
    {
        if (Volatile.Read(ref _pingCheck) is { } check && check.Options.EndPoints.Count > 0 && Interlocked.CompareExchange(ref _pingCheck, null, check) == check)
        {
            KeepAliveRedisExtensions.KeepPingOnTime(check.Options, settings, check.Seconds);
        }

        if (Volatile.Read(ref _left) is { Options.EndPoints.Count: > 0 } left && left.Options.KeepAlive is var keepAlive && keepAlive != left.Seconds
            && keepAlive != Volatile.Read(ref _yoursAfter) && (settings.HeartbeatInterval is not null || keepAlive != (int)left.Options.Defaults.KeepAliveInterval.TotalSeconds))
        {
            // Before the multiplexer reads it for the connection; one of 0 or less, StackExchange.Redis's default, is not judged.
            if (settings.TakeYourHeartbeatSetAfterUseKeepAlive(TimeSpan.FromSeconds(keepAlive), TimeSpan.FromSeconds(left.Seconds)))
            {
                Volatile.Write(ref _yoursAfter, keepAlive);
            }
            else
            {
                left.Options.KeepAlive = left.Seconds;
            }
        }
    }

    /// <summary>Tells <see cref="TunnelWatch"/> that this connection was asked about through this tunnel, when it gets a socket (a tunnel of yours may answer none).</summary>
    private static EndPoint? Asked(EndPoint endpoint, EndPoint? target)
    {
        if (target is not null)
        {
            TunnelWatch.Asked(endpoint);
        }

        return target;
    }

    private static async ValueTask<EndPoint?> AskedAsync(EndPoint endpoint, ValueTask<EndPoint?> target) => Asked(endpoint, await target.ConfigureAwait(false));

    /// <summary>Options whose <see cref="ConfigurationOptions.HeartbeatInterval"/> (or <see cref="ConfigurationOptions.KeepAlive"/>) is to be checked against the PING interval <c>UseKeepAlive</c> set (or left).</summary>
    private sealed record PingCheck(ConfigurationOptions Options, int Seconds);

    /// <summary>The marker end point of <see cref="Within"/> (no tunnel), and ours answering it (itself).</summary>
    private sealed class Probe(KeepAliveRedisTunnel? tunnel) : EndPoint
    {
        public static readonly Probe Marker = new(null);

        public KeepAliveRedisTunnel? Tunnel => tunnel;
    }
}

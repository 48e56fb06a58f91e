using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using KeepAlive.Net.Hosting;
using StackExchange.Redis;

namespace KeepAlive.Net.StackExchangeRedis;

/// <summary>
/// Tells when a connection goes through a <see cref="ConfigurationOptions.Tunnel"/> set after <c>UseKeepAlive</c> that does
/// not call the one <c>UseKeepAlive</c> installed, so its socket gets no profile, and says so once per <c>UseKeepAlive</c>
/// (event 3206). For each connection StackExchange.Redis asks the tunnel where to connect
/// (<see cref="StackExchange.Redis.Configuration.Tunnel.GetSocketConnectEndpointAsync"/>), creates the socket, then calls
/// <see cref="ConfigurationOptions.BeforeSocketConnect"/> in the same connect, with the same end point object: the
/// keep-alive tunnel counts the end points it was asked about (<see cref="Asked"/>), and the callback this watch installs
/// takes one; none to take means the connection was not asked about through ours. A tunnel of yours that wraps ours
/// forwards that question (as <c>LoggingTunnel</c> does; one that did not would also skip the tunnel of yours that ours wraps).
/// An answer counted and not taken (the connect given up between the two) can only make the watch miss a replacement, never
/// report one that is not.
/// </summary>
internal sealed class TunnelWatch
{
    private const string Hook = "ConfigurationOptions.Tunnel";

    /// <summary>How many connections to each end point object the keep-alive tunnel was asked about that have not reached <see cref="ConfigurationOptions.BeforeSocketConnect"/> yet.</summary>
    private static readonly ConditionalWeakTable<EndPoint, StrongBox<int>> Pending = [];

    /// <summary>Set while a watch runs the callback it wraps, which may be an earlier watch (UseKeepAlive again over a callback of yours calling ours): that one only forwards.</summary>
    [ThreadStatic]
    private static bool _inWatch;

    private readonly ConfigurationOptions _options;
    private readonly KeepAliveClientSettings _settings;
    private readonly Action<EndPoint, ConnectionType, Socket>? _yours;
    private int _warned;

    private TunnelWatch(ConfigurationOptions options, KeepAliveClientSettings settings, Action<EndPoint, ConnectionType, Socket>? yours)
    {
        _options = options;
        _settings = settings;
        _yours = yours;
    }

    /// <summary>Installs the watch in <paramref name="options"/>' <see cref="ConfigurationOptions.BeforeSocketConnect"/>, wrapping yours (not an earlier watch: that one's callback of yours is wrapped instead).</summary>
    /// <param name="options">The options <c>UseKeepAlive</c> set up.</param>
    /// <param name="settings">The profile's settings, for the warning.</param>
    public static void Watch(ConfigurationOptions options, KeepAliveClientSettings settings)
    {
        var current = options.BeforeSocketConnect;
        var yours = current?.Target is TunnelWatch earlier && current.GetInvocationList().Length == 1 ? earlier._yours : current;
        options.BeforeSocketConnect = new TunnelWatch(options, settings, yours).BeforeSocketConnect;
    }

    /// <summary>Records that the keep-alive tunnel was asked where to connect for <paramref name="endpoint"/> and answered with a socket end point.</summary>
    /// <param name="endpoint">The end point StackExchange.Redis asked about.</param>
    public static void Asked(EndPoint endpoint)
    {
        var pending = Pending.GetValue(endpoint, static _ => new StrongBox<int>());
        Interlocked.Increment(ref pending.Value);
    }

    private static bool Take(EndPoint endpoint)
    {
        if (!Pending.TryGetValue(endpoint, out var pending))
        {
            return false;
        }

        var count = Volatile.Read(ref pending.Value);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref pending.Value, count - 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    private static string Describe(StackExchange.Redis.Configuration.Tunnel? tunnel) => tunnel switch
    {
        null => "null (no tunnel)",
        _ when KeepAliveRedisTunnel.Within(tunnel) is not null => "a tunnel set on a copy of these options (ConfigurationOptions.Clone)",
        _ => tunnel.GetType().FullName ?? tunnel.GetType().Name,
    };

    private void BeforeSocketConnect(EndPoint endpoint, ConnectionType connectionType, Socket socket)
    {
        if (_inWatch)
        {
            _yours?.Invoke(endpoint, connectionType, socket);
            return;
        }

        if (!Take(endpoint) && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            _settings.ReportSocketHookReplaced(Hook, Describe(_options.Tunnel));
        }

        _inWatch = true;
        try
        {
            _yours?.Invoke(endpoint, connectionType, socket);
        }
        finally
        {
            _inWatch = false;
        }
    }
}

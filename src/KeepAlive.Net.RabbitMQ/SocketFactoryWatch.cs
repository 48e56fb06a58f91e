using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using KeepAlive.Net.Hosting;
using RabbitMQ.Client;

namespace KeepAlive.Net.RabbitMQ;

/// <summary>
/// Tells when a connection connects through a <see cref="ConnectionFactoryBase.SocketFactory"/> set after <c>UseKeepAlive</c>
/// that does not call the one <c>UseKeepAlive</c> installed, so its socket gets no profile, and says so once per factory
/// and <c>UseKeepAlive</c> call (event 3206). RabbitMQ.Client has no hook after the socket is open; it reads the endpoints of the resolver that
/// <see cref="ConnectionFactory.EndpointResolverFactory"/> returns before each connection and each automatic recovery, so
/// that factory is wrapped: the resolver's endpoints are handed out one by one, and when the client stops asking for more
/// (a connection was made) without our socket factory having run for it, the socket came from another one. The client also
/// stops asking when the connect is cancelled (the token already cancelled, or cancelled before the socket was created),
/// which says nothing of the socket factory: while a connection is watched, the exceptions thrown on its way are seen
/// first-hand, and one that ends in a cancellation is no verdict.
/// </summary>
internal sealed class SocketFactoryWatch
{
    private const string Hook = "ConnectionFactory.SocketFactory";

    private static readonly ConditionalWeakTable<ConnectionFactory, SocketFactoryWatch> Watches = [];

    /// <summary>Set while a connection handed out by a watched resolver is being made.</summary>
    private static readonly AsyncLocal<Attempt?> Current = new();

    /// <summary>Guards <see cref="_watched"/>.</summary>
    private static readonly Lock Listening = new();

    /// <summary>How many watched connections are being made: while any is, <see cref="AppDomain.FirstChanceException"/> is listened to.</summary>
    private static int _watched;

    private readonly Lock _lock = new();
    private readonly ConnectionFactory _factory;
    private Func<AddressFamily, ITcpClient>? _ours;
    private KeepAliveClientSettings? _settings;
    private Func<IEnumerable<AmqpTcpEndpoint>, IEndpointResolver>? _installed;
    private int _warned;

    /// <summary>The <see cref="ConnectionFactory.RequestedHeartbeat"/> the last <c>UseKeepAlive</c> left, and the last one set after it that was taken as yours.</summary>
    private TimeSpan _left;
    private TimeSpan? _yoursAfter;

    private SocketFactoryWatch(ConnectionFactory factory) => _factory = factory;

    /// <summary>Watches <paramref name="factory"/>, whose <see cref="ConnectionFactoryBase.SocketFactory"/> is <paramref name="ours"/> now; again on the same factory, the last call's socket factory and settings count.</summary>
    /// <param name="factory">The factory <c>UseKeepAlive</c> set up.</param>
    /// <param name="ours">The socket factory <c>UseKeepAlive</c> installed.</param>
    /// <param name="settings">The profile's settings, for the warning.</param>
    public static void Watch(ConnectionFactory factory, Func<AddressFamily, ITcpClient> ours, KeepAliveClientSettings settings)
    {
        var watch = Watches.GetValue(factory, static f => new SocketFactoryWatch(f));
        lock (watch._lock)
        {
            watch._ours = ours;
            watch._settings = settings;
            Volatile.Write(ref watch._warned, 0); // a SocketFactory set after this call is said once too, not silenced by one said before it
            if (!ReferenceEquals(factory.EndpointResolverFactory, watch._installed))
            {
                var inner = factory.EndpointResolverFactory;
                watch._installed = endpoints =>
                {
                    // RabbitMQ.Client asks for the resolver before it reads RequestedHeartbeat for the connection.
                    watch.TakeHeartbeatSetAfterwards();
                    return new Resolver(inner(endpoints), watch);
                };
                factory.EndpointResolverFactory = watch._installed;
            }
        }
    }

    /// <summary>Records the <see cref="ConnectionFactory.RequestedHeartbeat"/> <c>UseKeepAlive</c> left on <paramref name="factory"/>, watched already, so that one set after it is told at the next connection.</summary>
    /// <param name="factory">The factory <c>UseKeepAlive</c> set up.</param>
    /// <param name="left">Its RequestedHeartbeat now.</param>
    public static void Left(ConnectionFactory factory, TimeSpan left)
    {
        if (Watches.TryGetValue(factory, out var watch))
        {
            lock (watch._lock)
            {
                (watch._left, watch._yoursAfter) = (left, null);
            }
        }
    }

    /// <summary>Records that the socket factory <c>UseKeepAlive</c> installed created the socket of the connection being made.</summary>
    public static void OursCreatedTheSocket()
    {
        if (Current.Value is { } attempt)
        {
            attempt.OursRan = true;
        }
    }

    /// <summary>
    /// A <see cref="ConnectionFactory.RequestedHeartbeat"/> set after <c>UseKeepAlive</c>, which the connection being made
    /// would run: it goes back to the one <c>UseKeepAlive</c> left, with warning 3202, when the profile's
    /// <c>Heartbeat:PeerIdleTimeout</c> cannot be kept with it, else it is taken as yours and said once.
    /// </summary>
    private void TakeHeartbeatSetAfterwards()
    {
        KeepAliveClientSettings settings;
        TimeSpan requested;
        TimeSpan left;
        lock (_lock)
        {
            (settings, requested, left) = (_settings!, _factory.RequestedHeartbeat, _left);
            if (requested == left || requested == _yoursAfter)
            {
                return;
            }
        }

        var kept = settings.TakeYourHeartbeatSetAfterUseKeepAlive(KeepAliveRabbitMQExtensions.Sent(requested), left);
        lock (_lock)
        {
            if (kept)
            {
                _yoursAfter = requested;
            }
            else
            {
                _factory.RequestedHeartbeat = left;
            }
        }
    }

    private IEnumerable<AmqpTcpEndpoint> Watched(IEnumerable<AmqpTcpEndpoint> endpoints)
    {
        if (Current.Value is { Done: false })
        {
            // Watched twice (UseKeepAlive again over an EndpointResolverFactory of yours that calls the one it watched): the
            // outer watch sees this connection; a second one would see ours run for it and the outer not.
            foreach (var endpoint in endpoints)
            {
                yield return endpoint;
            }

            yield break;
        }

        Func<AddressFamily, ITcpClient> current;
        KeepAliveClientSettings settings;
        bool quiet;
        lock (_lock)
        {
            current = _factory.SocketFactory;
            settings = _settings!;
            quiet = ReferenceEquals(current, _ours) || Volatile.Read(ref _warned) != 0;
        }

        // A socket factory set after UseKeepAlive: one wrapping ours makes ours run for the connection, one in its place does not.
        var attempt = quiet ? null : new Attempt();
        var exhausted = false;
        Current.Value = attempt;
        if (attempt is not null)
        {
            Listen(start: true);
        }

        try
        {
            foreach (var endpoint in endpoints)
            {
                attempt?.Cancelled = false; // an earlier endpoint's cancelled connect is not this one's

                yield return endpoint;
            }

            exhausted = true; // every endpoint was tried and none connected: no socket to speak of
        }
        finally
        {
            Current.Value = null;
            if (attempt is not null)
            {
                attempt.Done = true; // the connection's own tasks may carry it on, made
                Listen(start: false);
            }

            // Stopped early without a cancellation: the connection was made, and ours did not create its socket.
            if (attempt is { OursRan: false, Cancelled: false } && !exhausted && Interlocked.Exchange(ref _warned, 1) == 0)
            {
                settings.ReportSocketHookReplaced(Hook, $"{current.Method.DeclaringType?.FullName}.{current.Method.Name}");
            }
        }
    }

    /// <summary>Starts (<paramref name="start"/>) or ends listening for one watched connection being made.</summary>
    private static void Listen(bool start)
    {
        lock (Listening)
        {
            if (start && _watched++ == 0)
            {
                AppDomain.CurrentDomain.FirstChanceException += Seen;
            }
            else if (!start && --_watched == 0)
            {
                AppDomain.CurrentDomain.FirstChanceException -= Seen;
            }
        }
    }

    /// <summary>An exception thrown on the way of a watched connection: whether the last one is a cancellation.</summary>
    private static void Seen(object? sender, FirstChanceExceptionEventArgs e)
    {
        if (Current.Value is { } attempt)
        {
            attempt.Cancelled = e.Exception is OperationCanceledException;
        }
    }

    /// <summary>A watched connection being made: whether our socket factory ran for it, whether the last exception thrown on its way was a cancellation, and whether it is made (or given up).</summary>
    private sealed class Attempt
    {
        public bool OursRan { get; set; }

        public bool Cancelled { get; set; }

        public bool Done { get; set; }
    }

    /// <summary>The resolver RabbitMQ.Client gets: the user's (or the default one), its endpoints watched.</summary>
    private sealed class Resolver(IEndpointResolver inner, SocketFactoryWatch watch) : IEndpointResolver
    {
        public IEnumerable<AmqpTcpEndpoint> All() => watch.Watched(inner.All());
    }
}

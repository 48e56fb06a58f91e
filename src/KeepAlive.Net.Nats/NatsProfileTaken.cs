using NATS.Client.Core;

namespace KeepAlive.Net.Nats;

/// <summary>
/// What a <c>UseKeepAlive</c> applied to <see cref="NatsOpts"/>: its profile (another one on the same options is refused), and
/// the <see cref="NatsOpts.PingInterval"/> and <see cref="NatsOpts.MaxPingOut"/> it set, which are not yours when
/// <c>UseKeepAlive</c> runs again on those options. Carried by the package's socket factory, which every copy of the options
/// (<c>with { ... }</c>) carries; for options without one (only WebSocket servers, or your own factory while <c>Tcp</c> is off)
/// by a <see cref="NatsWebSocketOpts.ConfigureClientWebSocketOptions"/> that runs yours (NATS.Net calls it for WebSocket
/// connections only), which every copy carries too, unless it replaces <see cref="NatsOpts.WebSocketOpts"/>.
/// </summary>
internal sealed class NatsProfileTaken(string profileName)
{
    /// <summary>The name of <see cref="NatsOpts.PingInterval"/> in what is recorded and in messages.</summary>
    public const string PingInterval = "NatsOpts.PingInterval";

    /// <summary>The name of <see cref="NatsOpts.MaxPingOut"/> in what is recorded and in messages.</summary>
    public const string MaxPingOut = "NatsOpts.MaxPingOut";

    /// <summary>Gets the profile applied.</summary>
    public string ProfileName => profileName;

    /// <summary>Gets the <see cref="NatsOpts.PingInterval"/> and <see cref="NatsOpts.MaxPingOut"/> set for the profile, and those they replaced (yours, or NATS.Net's own).</summary>
    public TakenValues Values { get; } = new();

    /// <summary>Gets the <see cref="NatsOpts.PingInterval"/> <c>UseKeepAlive</c> left: the profile's <c>Heartbeat:Interval</c>, or the one it kept; a copy of the options connecting with another one set it afterwards.</summary>
    public TimeSpan PingIntervalLeft { get; init; }

    /// <summary>What an earlier <c>UseKeepAlive</c> applied to these options (or the options they were copied from), or <see langword="null"/>.</summary>
    public static NatsProfileTaken? Of(NatsOpts options) =>
        options.SocketConnectionFactory is KeepAliveNatsSocketConnectionFactory ours ? ours.Taken ?? new(ours.ProfileName)
        : options.WebSocketOpts?.ConfigureClientWebSocketOptions?.Target is Carrier carrier ? carrier.Taken
        : null;

    /// <summary>
    /// The options as they were before <c>UseKeepAlive</c> set them: a <see cref="NatsOpts.PingInterval"/> or
    /// <see cref="NatsOpts.MaxPingOut"/> that is still the profile's goes back to the value it replaced, so that a call again
    /// takes a reload that dropped the profile's value as the warning (3204) says: yours, or NATS.Net's own; and the package's
    /// socket factory goes (it is only ever set where there was none), so that a call again on a copy for WebSocket servers
    /// leaves NATS.Net's own WebSocket connection to them instead of a factory that opens TCP servers only.
    /// </summary>
    /// <param name="options">Options carrying what this records.</param>
    /// <returns>The options without what was set for the profile.</returns>
    public NatsOpts Undo(NatsOpts options) => options with
    {
        PingInterval = Values.Yours(PingInterval, options.PingInterval),
        MaxPingOut = Values.Yours(MaxPingOut, options.MaxPingOut),
        SocketConnectionFactory = options.SocketConnectionFactory is KeepAliveNatsSocketConnectionFactory ? null : options.SocketConnectionFactory,
    };

    /// <summary>Records what <c>UseKeepAlive</c> applied to the options it returns.</summary>
    /// <returns>The options carrying it: <paramref name="options"/>, or a copy whose <see cref="NatsOpts.WebSocketOpts"/> carries it.</returns>
    public static NatsOpts Record(NatsOpts options, NatsProfileTaken taken)
    {
        if (options.SocketConnectionFactory is KeepAliveNatsSocketConnectionFactory ours)
        {
            ours.Taken = taken;
            return options;
        }

        var webSocket = options.WebSocketOpts ?? NatsWebSocketOpts.Default;
        var yours = webSocket.ConfigureClientWebSocketOptions is { Target: Carrier earlier } ? earlier.Yours : webSocket.ConfigureClientWebSocketOptions;
        return options with { WebSocketOpts = webSocket with { ConfigureClientWebSocketOptions = new Carrier(taken, yours).ConfigureAsync } };
    }

    /// <summary>
    /// What carries the profile in <paramref name="options"/> that <see cref="Record"/> returned, and every copy of them and
    /// connection made from them keeps: the package's socket factory, else the <see cref="Carrier"/> of their WebSocket callback.
    /// </summary>
    /// <param name="options">Options <see cref="Record"/> returned.</param>
    /// <returns>The object that lives as long as something made from the options does.</returns>
    public static object? Holder(NatsOpts options) =>
        options.SocketConnectionFactory as KeepAliveNatsSocketConnectionFactory ?? options.WebSocketOpts?.ConfigureClientWebSocketOptions?.Target;

    /// <summary>Carries what was applied in options without a factory of ours, and runs your own WebSocket callback.</summary>
    private sealed class Carrier(NatsProfileTaken taken, Func<Uri, System.Net.WebSockets.ClientWebSocketOptions, CancellationToken, ValueTask>? yours)
    {
        public NatsProfileTaken Taken => taken;

        public Func<Uri, System.Net.WebSockets.ClientWebSocketOptions, CancellationToken, ValueTask>? Yours => yours;

        public ValueTask ConfigureAsync(Uri uri, System.Net.WebSockets.ClientWebSocketOptions options, CancellationToken cancellationToken) =>
            yours?.Invoke(uri, options, cancellationToken) ?? default;
    }
}

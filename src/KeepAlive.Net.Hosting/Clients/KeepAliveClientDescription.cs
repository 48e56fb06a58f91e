namespace KeepAlive.Net.Hosting;

/// <summary>
/// Describes a client library (a database, cache or broker client) whose own keep-alive settings a profile sets, so that
/// <see cref="KeepAliveClientSettings"/> can map the profile onto it and check it: its name, the setting that takes the
/// profile's <c>Heartbeat:Interval</c> (in whole seconds unless <see cref="HeartbeatInWholeSeconds"/> says otherwise), the
/// client's own heartbeat when the profile sets none, its limit, and its heartbeat timeout if it has one.
/// </summary>
/// <remarks>The KeepAlive.Net.StackExchangeRedis, .RabbitMQ, .Npgsql and .Nats packages each describe their client with one.</remarks>
public sealed class KeepAliveClientDescription
{
    /// <summary>Initializes a new instance of the <see cref="KeepAliveClientDescription"/> class.</summary>
    /// <param name="clientName">The client's name in messages, e.g. "StackExchange.Redis".</param>
    /// <param name="heartbeatSetting">The client setting that takes <c>Heartbeat:Interval</c>, e.g. "ConfigurationOptions.KeepAlive".</param>
    /// <param name="defaultHeartbeatInterval">
    /// The client's own default for <paramref name="heartbeatSetting"/>, which it keeps when the profile sets no
    /// <c>Heartbeat:Interval</c> (RabbitMQ.Client's <c>RequestedHeartbeat</c> 60 s, NATS.Net's <c>PingInterval</c> 2 min), or
    /// <see langword="null"/> when the client sends no heartbeat unless told to (Npgsql's <c>Keepalive</c> is off by default).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="defaultHeartbeatInterval"/> is zero, negative or infinite (a client without a heartbeat of its own is described with <see langword="null"/>).</exception>
    public KeepAliveClientDescription(string clientName, string heartbeatSetting, TimeSpan? defaultHeartbeatInterval)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientName);
        ArgumentException.ThrowIfNullOrWhiteSpace(heartbeatSetting);
        if (defaultHeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultHeartbeatInterval), defaultHeartbeatInterval,
                $"The default heartbeat of {clientName}'s {heartbeatSetting} must be positive. Fix: pass null for a client that sends no heartbeat unless told to (a heartbeat that is off, or infinite).");
        }

        ClientName = clientName;
        HeartbeatSetting = heartbeatSetting;
        DefaultHeartbeatInterval = defaultHeartbeatInterval;
    }

    /// <summary>Gets how messages name the client as a user of a profile, e.g. <c>the client StackExchange.Redis</c>.</summary>
    internal string Who => $"the client {ClientName}";

    /// <summary>Gets the client's name in messages, e.g. "StackExchange.Redis".</summary>
    public string ClientName { get; }

    /// <summary>Gets the client setting that takes <c>Heartbeat:Interval</c>, e.g. "ConfigurationOptions.KeepAlive".</summary>
    public string HeartbeatSetting { get; }

    /// <summary>
    /// Gets the client's own default for <see cref="HeartbeatSetting"/>, which it keeps when the profile sets no
    /// <c>Heartbeat:Interval</c>: judged against <c>Heartbeat:PeerIdleTimeout</c> then, as the profile's interval is when set.
    /// </summary>
    /// <value><see langword="null"/> when the client sends no heartbeat unless told to.</value>
    public TimeSpan? DefaultHeartbeatInterval { get; }

    /// <summary>Gets a value indicating whether the client counts its heartbeat in whole seconds: then <c>Heartbeat:Interval</c> is rounded down to them and refused below 1 s.</summary>
    /// <value>The default value is <see langword="true"/> (StackExchange.Redis, RabbitMQ, Npgsql); NATS.Net takes any <see cref="TimeSpan"/>.</value>
    public bool HeartbeatInWholeSeconds { get; init; } = true;

    /// <summary>Gets the longest heartbeat interval the client can carry.</summary>
    /// <value>The default value is <see cref="TimeSpan.MaxValue"/>: no limit of the client's own. RabbitMQ sends whole seconds in 16 bits (65535 s).</value>
    public TimeSpan MaxHeartbeatInterval { get; init; } = TimeSpan.MaxValue;

    /// <summary>Gets the client setting that takes <c>Heartbeat:Timeout</c>, or <see langword="null"/> when the client has no heartbeat timeout.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? HeartbeatTimeoutSetting { get; init; }

    /// <summary>Gets what the client does instead of a heartbeat timeout, said when a profile sets <c>Heartbeat:Timeout</c> that the client cannot take.</summary>
    /// <value>The default value says the client has none.</value>
    public string WithoutHeartbeatTimeout { get; init; } = "the client has no heartbeat timeout";
}

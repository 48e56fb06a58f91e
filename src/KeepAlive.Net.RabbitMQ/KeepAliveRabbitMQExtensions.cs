using System.Globalization;
using KeepAlive.Net.Hosting;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace KeepAlive.Net.RabbitMQ;

/// <summary>Applies a keep-alive profile to every connection a RabbitMQ.Client <see cref="ConnectionFactory"/> opens.</summary>
public static class KeepAliveRabbitMQExtensions
{
    /// <summary>The largest heartbeat AMQP 0-9-1 can negotiate: whole seconds in an unsigned 16-bit field.</summary>
    private static readonly TimeSpan MaxHeartbeat = TimeSpan.FromSeconds(ushort.MaxValue);

    /// <summary>Gets how RabbitMQ.Client takes a profile: <c>Heartbeat:Interval</c> as <see cref="ConnectionFactory.RequestedHeartbeat"/> (whole seconds, at most 65535 s; <see cref="ConnectionFactory.DefaultHeartbeat"/>, 60 s, without it); its heartbeat timeout is fixed.</summary>
    public static KeepAliveClientDescription Client { get; } = new("RabbitMQ.Client", "ConnectionFactory.RequestedHeartbeat", ConnectionFactory.DefaultHeartbeat)
    {
        MaxHeartbeatInterval = MaxHeartbeat,
        WithoutHeartbeatTimeout = "RabbitMQ fixes the heartbeat timeout: RabbitMQ.Client checks for a frame once per negotiated heartbeat and closes the connection at the third check in a row that saw none, 2 to 4 x the heartbeat after the broker went silent",
    };

    /// <summary>
    /// Applies a keep-alive profile to the connections this factory creates: its <c>Tcp</c> section to every socket
    /// (first connection and every automatic recovery) through <see cref="ConnectionFactoryBase.SocketFactory"/>, before the
    /// socket connects, read back from the kernel and logged; and its <c>Heartbeat:Interval</c>, when the profile sets it,
    /// as <see cref="ConnectionFactory.RequestedHeartbeat"/> (whole seconds, rounded down).
    /// </summary>
    /// <param name="factory">The factory, before <c>CreateConnectionAsync</c>.</param>
    /// <param name="profiles">The registered profiles.</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The factory, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No profile of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid or does not suit RabbitMQ.Client (the message names the setting, its value and the fix), also with your <see cref="ConnectionFactory.RequestedHeartbeat"/> where the profile sets no <c>Heartbeat:Interval</c>.</exception>
    /// <remarks>
    /// A <see cref="ConnectionFactoryBase.SocketFactory"/> of yours is kept: it creates the socket, then the profile is
    /// applied to it (so the profile's keep-alive wins). One set after this call must call the one this call installs: one in
    /// its place opens sockets without the profile, which the first connection made through it says (event 3206, once per
    /// factory; this call wraps <see cref="ConnectionFactory.EndpointResolverFactory"/> to see it). A <see cref="ConnectionFactory.RequestedHeartbeat"/> you set by
    /// hand is kept unless the profile sets <c>Heartbeat:Interval</c>; then the profile wins and a warning says so (event
    /// 3202). The broker may negotiate a lower heartbeat; RabbitMQ.Client sends a heartbeat frame every half of it, from a
    /// thread-pool timer, checks for a frame from the broker once per heartbeat, and closes the connection
    /// (<c>ConnectionShutdownAsync</c>) at the third check in a row that saw none: 2 to 4 heartbeats after the broker went silent.
    /// A <see cref="ConnectionFactory.RequestedHeartbeat"/> of yours that the profile leaves to you, over what
    /// <c>Heartbeat:PeerIdleTimeout</c> allows, is refused here; one set after this call is seen at each
    /// <c>CreateConnectionAsync</c>: over it, it goes back to the value this call left (warning 3202), else it is yours (said once, event 3201).
    /// <c>CreateConnectionAsync(IEndpointResolver, ...)</c> is not watched: it does not ask <see cref="ConnectionFactory.EndpointResolverFactory"/>,
    /// so neither a RequestedHeartbeat nor a SocketFactory set after this call is seen there (call <c>UseKeepAlive</c> again after setting them).
    /// </remarks>
    public static ConnectionFactory UseKeepAlive(this ConnectionFactory factory, IKeepAliveProfiles profiles, string profileName)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var settings = KeepAliveClientSettings.Create(profiles, profileName, Client);
        var notes = new List<string>();
        const string Call = "ConnectionFactory.UseKeepAlive";

        // What an earlier UseKeepAlive on this factory set is not yours: it goes back to what it replaced (yours, or
        // RabbitMQ.Client's own), so that a reload since then that dropped Heartbeat:Interval is taken as 3204 says. Yours,
        // kept where the profile sets no Heartbeat:Interval, is judged against the profile before anything is changed.
        const string Heartbeat = "ConnectionFactory.RequestedHeartbeat";
        var requested = AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.Yours(factory, Heartbeat, factory.RequestedHeartbeat);
        if (requested != ConnectionFactory.DefaultHeartbeat)
        {
            settings.ThrowIfYourHeartbeatMissesTheTimeout(Sent(requested));
        }

        if (KeepAliveRabbitMQSocketFactory.Of(factory.SocketFactory) is { } copied)
        {
            // A factory given the SocketFactory of one set up with UseKeepAlive (SocketFactory = configured.SocketFactory) takes
            // that profile, as a copy does: the same one again wraps your own factory once, another is refused (its sockets
            // would keep the first profile's Tcp section, its heartbeat this one's). Only the socket factory was copied, so
            // its RequestedHeartbeat is still yours.
            AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.Claim(factory, copied.ProfileName, copied.Yours, Call);
            AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.Installed(factory, factory.SocketFactory);
        }

        // Installed even while Tcp is off: the factory reads the profile at each socket, so a reload turning it on reaches the next one.
        var yours = AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.Claim(
            factory, settings.ProfileName, factory.SocketFactory ?? ConnectionFactoryBase.DefaultSocketFactory, Call);
        factory.SocketFactory = new KeepAliveRabbitMQSocketFactory(yours, settings).Create;
        AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.Installed(factory, factory.SocketFactory);
        SocketFactoryWatch.Watch(factory, factory.SocketFactory, settings);
        var defaultFactory = yours == (Func<System.Net.Sockets.AddressFamily, ITcpClient>)ConnectionFactoryBase.DefaultSocketFactory;
        notes.Add((settings.Tcp is not null, defaultFactory) switch
        {
            (true, true) => "Tcp on every socket through ConnectionFactory.SocketFactory",
            (true, false) => "Tcp on every socket through ConnectionFactory.SocketFactory, on the socket your own factory creates",
            (false, true) => "Tcp:Enabled is false: sockets keep RabbitMQ.Client's own settings (no keep-alive) until a reload turns it on",
            (false, false) => "Tcp:Enabled is false: sockets are left as your ConnectionFactory.SocketFactory makes them until a reload turns it on",
        });

        factory.RequestedHeartbeat = requested;

        // A 0 of yours too: the broker decides then, which is not RabbitMQ.Client's own 60 s.
        TimeSpan? yourHeartbeat = requested >= TimeSpan.Zero && requested != ConnectionFactory.DefaultHeartbeat ? requested : null;
        if (settings.HeartbeatInterval is { } interval)
        {
            AppliedProfiles<ConnectionFactory, Func<System.Net.Sockets.AddressFamily, ITcpClient>>.ReportIfOverridden(factory, profiles, settings, Heartbeat, requested, ConnectionFactory.DefaultHeartbeat, "Heartbeat:Interval", interval, Show);
            factory.RequestedHeartbeat = interval;
            notes.Add($"RequestedHeartbeat {Show(interval)} from Heartbeat:Interval (a frame every half of it; the broker may negotiate lower)");
        }
        else
        {
            notes.Add($"RequestedHeartbeat stays {Runs(requested)} (Heartbeat:Interval is not set)");
        }

        SocketFactoryWatch.Left(factory, factory.RequestedHeartbeat);
        settings.ReportApplied(notes);
        settings.WarnWhenReloadsAreNotTaken(
            "create the connection again from a new ConnectionFactory set up with UseKeepAlive (its sockets already follow reloads, also on automatic recovery; RequestedHeartbeat is fixed when UseKeepAlive runs)",
            // Your RequestedHeartbeat is named as it runs, as the line above names it, where the profile leaves it to you.
            moreValues: s => s.HeartbeatInterval is null && yourHeartbeat is { } yours
                ? new Dictionary<string, string>(StringComparer.Ordinal) { [Heartbeat] = Runs(yours) }
                : new Dictionary<string, string>(StringComparer.Ordinal),
            heldBy: factory.SocketFactory); // the factory and its connections keep it: automatic recovery opens sockets through it
        return factory;
    }

    /// <summary>Applies a keep-alive profile registered in the container, as <see cref="UseKeepAlive(ConnectionFactory, IKeepAliveProfiles, string)"/> does.</summary>
    /// <param name="factory">The factory, before <c>CreateConnectionAsync</c>.</param>
    /// <param name="services">The service provider holding <see cref="IKeepAliveProfiles"/> (<c>services.AddKeepAlive(...)</c>).</param>
    /// <param name="profileName">The profile's name.</param>
    /// <returns>The factory, for chaining.</returns>
    public static ConnectionFactory UseKeepAlive(this ConnectionFactory factory, IServiceProvider services, string profileName)
    {
        ArgumentNullException.ThrowIfNull(services);
        return factory.UseKeepAlive(RegisteredProfiles.From(services, "factory.UseKeepAlive", profileName), profileName);
    }

    private static string Show(TimeSpan value) => KeepAliveDuration.Format(value);

    /// <summary>The heartbeat RabbitMQ.Client sends for a <see cref="ConnectionFactory.RequestedHeartbeat"/>: whole seconds, rounded down (0 leaves it to the broker).</summary>
    /// <param name="requested">The requested heartbeat.</param>
    /// <returns>What goes out.</returns>
    internal static TimeSpan Sent(TimeSpan requested) => TimeSpan.FromSeconds(Math.Floor(requested.TotalSeconds));

    /// <summary>
    /// A RequestedHeartbeat of yours and what runs from it, as event 3201 and warning 3204 name it: RabbitMQ.Client sends it in
    /// whole seconds, rounded down, so one under 1 s goes out as 0 and leaves the heartbeat to the broker.
    /// </summary>
    private static string Runs(TimeSpan requested)
    {
        var sent = Sent(requested);
        var rounded = sent == requested ? null : $"RabbitMQ.Client sends in whole seconds, rounded down to {Show(sent)}";
        return sent > TimeSpan.Zero
            ? $"{Show(requested)}{(rounded is null ? string.Empty : $", which {rounded}")}"
            : $"{Show(requested)}, so the broker's heartbeat applies (RabbitMQ's default 1m), as {(rounded is null ? "RabbitMQ.Client" : $"{rounded}, and")} negotiates a requested 0";
    }
}

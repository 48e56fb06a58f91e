using System.Runtime.Versioning;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Http;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Applies a keep-alive profile to every connection an <see cref="System.Net.Http.HttpClient"/> from IHttpClientFactory opens.</summary>
public static class KeepAliveHttpClientBuilderExtensions
{
    /// <summary>Applies every layer of the default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) to the client; see <see cref="UseKeepAlive(IHttpClientBuilder, string)"/>.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <returns>The builder, for chaining.</returns>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseKeepAlive(this IHttpClientBuilder builder) =>
        builder.UseKeepAlive(KeepAliveProfileOptions.DefaultProfileName);

    /// <summary>
    /// Applies every layer of a named profile to the client: its <c>Tcp</c> settings to each new connection's socket
    /// (as <see cref="UseTcpKeepAlive(IHttpClientBuilder, string)"/> does), and from its <c>Http</c> section the
    /// handler's <see cref="System.Net.Http.SocketsHttpHandler.PooledConnectionIdleTimeout"/>,
    /// <see cref="System.Net.Http.SocketsHttpHandler.PooledConnectionLifetime"/> (shortened by a random amount of up to
    /// <c>Http:MaxConnectionAgeJitter</c> for each handler), <see cref="System.Net.Http.SocketsHttpHandler.ConnectTimeout"/>
    /// and the HTTP/2 keep-alive ping delay, timeout and policy. Values the profile leaves unset keep the handler's own; one
    /// your handler set by hand that the profile replaces is logged as a warning (<see cref="KeepAlive.Net.KeepAliveEventIds.ClientOptionOverridden"/>), once per client and value.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>; checked when the host starts.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The <c>Http</c> values are read each time the factory creates a handler, so reloads reach new handlers.</remarks>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseKeepAlive(this IHttpClientBuilder builder, string profileName) =>
        builder.UseKeepAlive(profileName, configure: null);

    /// <summary>Applies every layer of a named profile to the client, as <see cref="UseKeepAlive(IHttpClientBuilder, string)"/>, with per-connection options.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>; checked when the host starts.</param>
    /// <param name="configure">Sets the connection callback (and a <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/> that overrides the profile's), or <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The client already takes another profile.</exception>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseKeepAlive(this IHttpClientBuilder builder, string profileName, Action<KeepAliveHttpClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profileName);
        builder.ApplyProfile(profileName, configure); // first: it refuses a second profile for this client

        // The client pools connections: an idle one must not outlive the middlebox unkept (checked at start-up and at reloads).
        builder.Services.AddClientCheck(profileName, nameof(System.Net.Http.HttpClient), HttpProfileRules.CheckForAPool);
        builder.Services.Configure<HttpClientKeepAliveBinding>(builder.Name, binding => binding.HandlerSettings.Add((handler, services, clientName) =>
        {
            // The client's name, not the builder's: ConfigureHttpClientDefaults's builder has none and reaches every client.
            var profiles = services.GetRequiredService<IKeepAliveProfiles>();
            var client = $"HttpClient '{clientName}'";
            var http = profiles.GetProfile(profileName).Http;
            var handlerLifetime = services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(clientName).HandlerLifetime;
            KeepAliveHandlerSettings.Apply(handler, http, $"{client} (KeepAlive profile '{profileName}')",
                KeepAliveHandlerSettings.Warn(profiles, client, profileName, binding.Options, binding.ReportedOverrides), handlerLifetime);
            if (handlerLifetime == Timeout.InfiniteTimeSpan)
            {
                // The factory never builds this handler again: a reload of the Http section would never reach it. A lifetime
                // of the per-connection options wins over the profile's, which the handler then never takes.
                var withoutLifetime = binding.Options.PooledConnectionLifetime is not null;
                ClientReloadWatch.Warn(profiles, profileName, client,
                    $"give {client} a finite HandlerLifetime (SetHandlerLifetime; the default is {KeepAlive.Net.KeepAliveDuration.Format(new HttpClientFactoryOptions().HandlerLifetime)}), so that the factory builds its handler again with the reloaded values",
                    KeepAliveProfiles.LoggerOf(profiles), handler, KeepAliveHandlerSettings.Values(http, withoutLifetime), KeepAliveHandlerSettings.ValuesNow(profiles, profileName, withoutLifetime));
            }
        }));
        return builder;
    }

    /// <summary>Applies the default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) to every new connection of the client.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <returns>The builder, for chaining.</returns>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseTcpKeepAlive(this IHttpClientBuilder builder) =>
        builder.UseTcpKeepAlive(KeepAliveProfileOptions.DefaultProfileName, configure: null);

    /// <summary>Applies a named profile to every new connection of the client.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseTcpKeepAlive(this IHttpClientBuilder builder, string profileName) =>
        builder.UseTcpKeepAlive(profileName, configure: null);

    /// <summary>
    /// Makes the client's primary handler a <see cref="System.Net.Http.SocketsHttpHandler"/> whose ConnectCallback applies
    /// a named profile to every new connection's socket, with the profile's values at the time of connecting.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>; checked when the host starts.</param>
    /// <param name="configure">Sets <see cref="KeepAliveHttpClientOptions.PooledConnectionLifetime"/> and the connection callback, or <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">The client already takes another profile (one profile per client; the same one again is accepted).</exception>
    /// <remarks>
    /// The order of the builder calls does not matter: keep-alive is applied after every other handler configuration.
    /// A <see cref="System.Net.Http.SocketsHttpHandler"/> of yours keeps all its settings (proxy, certificates, limits)
    /// and its ConnectCallback, which is called first; keep-alive is applied to the socket of the NetworkStream it returns.
    /// A handler that cannot carry keep-alive (an <see cref="System.Net.Http.HttpClientHandler"/> you configured, or any
    /// other type) is refused when the client is created, with the fix, instead of being replaced.
    /// </remarks>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseTcpKeepAlive(this IHttpClientBuilder builder, string profileName, Action<KeepAliveHttpClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profileName);
        builder.ApplyProfile(profileName, configure);

        // Only the Tcp section reaches the handler: with it off, nothing keeps an idle pooled connection (checked at start-up
        // and at reloads, for the clients of the profile that take no UseKeepAlive, whose check is the pool's own).
        builder.Services.AddClientCheck(profileName, TcpSectionOnly, services => options =>
            HttpProfileRules.CheckForTcpSectionOnly(options, profileName, HttpClientKeepAliveBinding.Registration.TcpSectionOnly(services, profileName)));
        return builder;
    }

    // The key of the check of the HttpClients that take a profile's Tcp section only (UseTcpKeepAlive without UseKeepAlive).
    private const string TcpSectionOnly = $"{nameof(System.Net.Http.HttpClient)} ({nameof(UseTcpKeepAlive)})";

    // What UseTcpKeepAlive and UseKeepAlive both do: the profile's Tcp section on each new connection of the client.
    private static void ApplyProfile(this IHttpClientBuilder builder, string profileName, Action<KeepAliveHttpClientOptions>? configure)
    {
        HttpClientKeepAliveBinding.Registration.Add(builder.Services, builder.Name, profileName);
        builder.Services.AddKeepAliveCore();
        KeepAliveProfileRegistration.ValidateOnStart(builder.Services, profileName);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, KeepAliveHandlerFilter>());
        builder.Services.Configure<HttpClientKeepAliveBinding>(builder.Name, binding =>
        {
            binding.ProfileName = profileName;
            configure?.Invoke(binding.Options);
        });
    }
}

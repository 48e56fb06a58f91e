using System.Runtime.Versioning;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Applies a keep-alive profile to every connection an <see cref="System.Net.Http.HttpClient"/> from IHttpClientFactory opens.</summary>
public static class KeepAliveHttpClientBuilderExtensions
{
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
    /// <remarks>This replaces any ConnectCallback set before on the handler; configure other handler settings with <c>UseSocketsHttpHandler</c>.</remarks>
    [UnsupportedOSPlatform("browser")]
    public static IHttpClientBuilder UseTcpKeepAlive(this IHttpClientBuilder builder, string profileName, Action<KeepAliveHttpClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(profileName);
        var options = new KeepAliveHttpClientOptions();
        configure?.Invoke(options);

        builder.Services.AddKeepAliveCore();
        builder.Services.AddOptionsWithValidateOnStart<KeepAliveProfileOptions>(profileName);
        builder.UseSocketsHttpHandler((handler, services) =>
        {
            var logger = services.GetService<ILoggerFactory>()?.CreateLogger("KeepAlive.Net.Hosting") ?? NullLogger.Instance;
            handler.ConnectCallback = new KeepAliveConnectCallback(services.GetRequiredService<IKeepAliveProfiles>(), profileName, options, logger).ConnectAsync;
            if (options.PooledConnectionLifetime is { } lifetime)
            {
                handler.PooledConnectionLifetime = lifetime;
            }
        });
        return builder;
    }
}

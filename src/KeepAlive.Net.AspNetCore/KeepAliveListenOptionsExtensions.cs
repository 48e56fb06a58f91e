using KeepAlive.Net.AspNetCore;
using KeepAlive.Net.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Applies a keep-alive profile to every connection a Kestrel endpoint accepts.</summary>
public static class KeepAliveListenOptionsExtensions
{
    /// <summary>Applies the default profile (<see cref="KeepAliveProfileOptions.DefaultProfileName"/>) to every accepted connection.</summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <returns>The endpoint, for chaining.</returns>
    public static ListenOptions UseTcpKeepAlive(this ListenOptions listenOptions) =>
        listenOptions.UseTcpKeepAlive(KeepAliveProfileOptions.DefaultProfileName);

    /// <summary>
    /// Applies a named profile to every TCP connection the endpoint accepts, with the profile's values at the time
    /// of accepting; the effective settings are available as the connection's <see cref="IKeepAliveConnectionFeature"/>.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="profileName">The profile, registered with <c>services.AddKeepAlive(...)</c>.</param>
    /// <returns>The endpoint, for chaining.</returns>
    /// <exception cref="InvalidOperationException">No such profile is registered; the host does not start.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The profile is invalid; the host does not start.</exception>
    public static ListenOptions UseTcpKeepAlive(this ListenOptions listenOptions, string profileName)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(profileName);
        var services = listenOptions.ApplicationServices;
        var profiles = services.GetService<IKeepAliveProfiles>() ?? throw new InvalidOperationException(
            $"listenOptions.UseTcpKeepAlive(\"{profileName}\") needs KeepAlive profiles. Fix: call services.AddKeepAlive(configuration.GetSection(\"KeepAlive\")) or services.AddKeepAlive(\"{profileName}\", ...) when building the host.");

        // Fails here, while Kestrel binds its endpoints, for a profile that is unknown or invalid.
        _ = profiles.GetProfile(profileName);
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("KeepAlive.Net.AspNetCore") ?? NullLogger.Instance;
        var middleware = new KeepAliveConnectionMiddleware(profiles, profileName, logger);
        listenOptions.Use(next => context => middleware.OnConnectionAsync(context, next));
        return listenOptions;
    }
}

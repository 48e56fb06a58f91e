using KeepAlive.Net.Nats;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Declares that a NATS.Net connection uses a keep-alive profile, so the host checks it at start-up.</summary>
public static class KeepAliveNatsServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host check at start-up that the profile exists and suits NATS.Net (something the client can use), with the path,
    /// the value and the fix; apply it with <c>NatsOpts.UseKeepAlive(serviceProvider, profileName)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the NATS connection uses.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddNatsKeepAlive(this IServiceCollection services, string profileName) =>
        services.AddKeepAliveClient(profileName, KeepAliveNatsExtensions.Client);
}

using KeepAlive.Net.StackExchangeRedis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Declares that a StackExchange.Redis client uses a keep-alive profile, so the host checks it at start-up.</summary>
public static class KeepAliveRedisServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host check at start-up that the profile exists and suits StackExchange.Redis (a heartbeat of at least
    /// 1 s, something the client can use), with the path, the value and the fix; apply it with
    /// <c>ConfigurationOptions.UseKeepAlive(serviceProvider, profileName)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the Redis client uses.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddRedisKeepAlive(this IServiceCollection services, string profileName) =>
        services.AddKeepAliveClient(profileName, KeepAliveRedisExtensions.Client);
}

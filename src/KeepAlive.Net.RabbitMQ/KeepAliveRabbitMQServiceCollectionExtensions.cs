using KeepAlive.Net.RabbitMQ;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Declares that a RabbitMQ.Client connection factory uses a keep-alive profile, so the host checks it at start-up.</summary>
public static class KeepAliveRabbitMQServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host check at start-up that the profile exists and suits RabbitMQ.Client (a heartbeat of 1 s to 65535 s,
    /// something the client can use), with the path, the value and the fix; apply it with
    /// <c>ConnectionFactory.UseKeepAlive(serviceProvider, profileName)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the RabbitMQ connections use.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddRabbitMQKeepAlive(this IServiceCollection services, string profileName) =>
        services.AddKeepAliveClient(profileName, KeepAliveRabbitMQExtensions.Client);
}

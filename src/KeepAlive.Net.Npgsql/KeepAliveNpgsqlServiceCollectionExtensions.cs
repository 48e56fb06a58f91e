using KeepAlive.Net.Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Declares that an Npgsql data source uses a keep-alive profile, so the host checks it at start-up.</summary>
public static class KeepAliveNpgsqlServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host check at start-up that the profile exists and suits Npgsql (a heartbeat of at least 1 s, something
    /// Npgsql can use), with the path, the value and the fix; apply it with
    /// <c>NpgsqlDataSourceBuilder.UseKeepAlive(serviceProvider, profileName)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the data source uses.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddNpgsqlKeepAlive(this IServiceCollection services, string profileName) =>
        services.AddKeepAliveClient(profileName, KeepAliveNpgsqlExtensions.Client);
}

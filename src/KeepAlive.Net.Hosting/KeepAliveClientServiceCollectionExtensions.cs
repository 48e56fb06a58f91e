using KeepAlive.Net;
using KeepAlive.Net.Hosting;
using KeepAlive.Net.Hosting.Clients;
using KeepAlive.Net.Hosting.Profiles;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Declares that a client library (Redis, RabbitMQ, PostgreSQL, NATS...) uses a keep-alive profile, so the host checks it at start-up.</summary>
public static class KeepAliveClientServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host check at start-up that a profile exists and suits a client library, with the same messages as
    /// every other profile rule: a missing profile, a heartbeat the client cannot carry, or a profile that sets nothing
    /// the client can use stops the host before it serves anything. The client packages call this from their own
    /// registration methods (for example <c>services.AddRedisKeepAlive("cache")</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the client uses.</param>
    /// <param name="client">The client.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddKeepAliveClient(this IServiceCollection services, string profileName, KeepAliveClientDescription client)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(profileName);
        ArgumentNullException.ThrowIfNull(client);
        return services.AddClientCheck(profileName, client, profile => KeepAliveClientRules.Validate(profile, client));
    }

    /// <summary>
    /// Makes the host check at start-up, and at each reload, that a profile suits a client: <paramref name="rules"/>, run
    /// after the profile's own; the same client and profile (any case) again adds nothing.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the client uses.</param>
    /// <param name="client">The client, as an equatable key: a <see cref="KeepAliveClientDescription"/>, or a name.</param>
    /// <param name="rules">The client's rules, each error named relative to the profile.</param>
    /// <returns>The services, for chaining.</returns>
    internal static IServiceCollection AddClientCheck(this IServiceCollection services, string profileName, object client, Func<KeepAliveProfileOptions, IEnumerable<KeepAliveValidationError>> rules) =>
        services.AddClientCheck(profileName, client, _ => rules);

    /// <summary>
    /// As <see cref="AddClientCheck(IServiceCollection, string, object, Func{KeepAliveProfileOptions, IEnumerable{KeepAliveValidationError}})"/>,
    /// with rules that read the built services (which clients take the profile, and how).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="profileName">The profile the client uses.</param>
    /// <param name="client">The client, as an equatable key: a <see cref="KeepAliveClientDescription"/>, or a name.</param>
    /// <param name="rules">Given the built services, the client's rules, each error named relative to the profile.</param>
    /// <returns>The services, for chaining.</returns>
    internal static IServiceCollection AddClientCheck(this IServiceCollection services, string profileName, object client, Func<IServiceProvider, Func<KeepAliveProfileOptions, IEnumerable<KeepAliveValidationError>>> rules)
    {
        services.AddKeepAliveCore();
        // Under the profile's own spelling (a client's "Cache" for the profile "cache"): under another, start-up would check
        // the same values twice and stop the host with each failure said twice.
        profileName = KeepAliveProfileRegistration.Spelling(services, profileName);

        // Once per client and profile (any case): registered twice (a library's and the application's), the check ran twice
        // and each failure was said twice.
        var check = new KeepAliveClientCheck(client, profileName);
        if (services.Any(d => d.ServiceType == typeof(KeepAliveClientCheck) && check.Equals(d.ImplementationInstance)))
        {
            return services;
        }

        services.AddSingleton(check);
        KeepAliveProfileRegistration.ValidateOnStart(services, profileName);
        services.AddSingleton<IValidateOptions<KeepAliveProfileOptions>>(s =>
            new KeepAliveClientValidator(profileName, rules(s), s.GetServices<KeepAliveProfileRegistration>()));
        return services;
    }
}
